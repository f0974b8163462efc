// The one place that names third-party versions for the edge functions (npm: specifiers work both under
// `supabase functions deploy` and locally; jsr/deno.land are not reachable from our build machines).
export { Hono } from "npm:hono@4.13.19";
export type { Context, MiddlewareHandler } from "npm:hono@4.13.19";
export { HTTPException } from "npm:hono@4.13.19/http-exception";
export { z } from "npm:zod@4.6.7";
export { default as postgres } from "npm:postgres@3.4.9";
export type { Sql, TransactionSql } from "npm:postgres@3.4.9";
export {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  wrap,
} from "npm:cockatiel@4.0.0";
export type { CircuitBreakerPolicy } from "npm:cockatiel@4.0.0";
export { Counter, Gauge, Histogram, Registry } from "npm:prom-client@15.1.3";
export { cors } from "npm:hono@4.13.19/cors";
export { RateLimiterMemory, RateLimiterRes } from "npm:rate-limiter-flexible@11.4.0";
export {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  SignJWT,
} from "npm:jose@6.2.18";
export type { JSONWebKeySet, JWK, JWTPayload, JWTVerifyGetKey } from "npm:jose@6.2.18";
export { LRUCache } from "npm:lru-cache@11.5.3";
