// Prometheus metrics of the database layer (prom-client, own registry so nothing global leaks between
// isolates or tests). Buckets are in seconds and start below a millisecond: a warm acquisition is microseconds.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();

const FAST = [
  0.00001,
  0.000025,
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];

export const metrics = {
  acquire: new Histogram({
    name: "cryo_db_acquire_seconds",
    help: "Time to get a pool slot and a connection (including connecting when none is open)",
    buckets: FAST,
    registers: [registry],
  }),
  query: new Histogram({
    name: "cryo_db_transaction_seconds",
    help: "Duration of one request-scoped transaction, from BEGIN sent to COMMIT acknowledged",
    labelNames: ["outcome"],
    buckets: FAST,
    registers: [registry],
  }),
  inUse: new Gauge({
    name: "cryo_db_pool_in_use",
    help: "Pool slots (connections) currently in use",
    registers: [registry],
  }),
  idle: new Gauge({
    name: "cryo_db_pool_idle",
    help: "Pool slots free (connections are opened lazily and closed after the idle timeout)",
    registers: [registry],
  }),
  waiting: new Gauge({ name: "cryo_db_pool_waiting", help: "Requests waiting for a pool slot", registers: [registry] }),
  errors: new Counter({
    name: "cryo_db_errors_total",
    help:
      "Database errors by class (connection, timeout, overloaded, circuit_open, ambiguous_commit, statement, unsafe_role)",
    labelNames: ["class"],
    registers: [registry],
  }),
  retries: new Counter({
    name: "cryo_db_retries_total",
    help: "Retried attempts (only when nothing can have run)",
    registers: [registry],
  }),
  shed: new Counter({
    name: "cryo_db_shed_total",
    help: "Requests refused because the wait queue was full",
    registers: [registry],
  }),
  breakerState: new Gauge({
    name: "cryo_db_breaker_state",
    help: "Circuit breaker state: 0 closed, 1 open, 2 half-open",
    registers: [registry],
  }),
  breakerTransitions: new Counter({
    name: "cryo_db_breaker_transitions_total",
    help: "Circuit breaker transitions by target state",
    labelNames: ["to"],
    registers: [registry],
  }),
  connectionsClosed: new Counter({
    name: "cryo_db_connections_closed_total",
    help: "Client connections to the pooler that closed (idle timeout, lifetime, or failure)",
    registers: [registry],
  }),
  slow: new Counter({
    name: "cryo_db_slow_transactions_total",
    help: "Transactions slower than CRYO_DB_SLOW_QUERY_MS",
    registers: [registry],
  }),
};
