// A TCP proxy between the database module and the pooler, for faults a real network produces: an
// acknowledgement lost after COMMIT was sent, or a peer that stops answering. It inspects the client's bytes
// only to count statements and spot COMMIT (prepare: false sends statement text in every Parse message), or
// a simple-protocol Query message with a write in it, which commits implicitly when it ends.
export type ProxyMode = "pass" | "drop-commit-ack" | "stall";

/** Whether a client write consists of whole simple-protocol Query messages ('Q' type, int32 length) only. */
function simpleOnly(b: Uint8Array): boolean {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  while (i < b.length) {
    if (b[i] !== 0x51 || i + 5 > b.length) return false;
    i += 1 + view.getUint32(i + 1);
  }
  return i === b.length && b.length > 0;
}

export class FaultProxy {
  mode: ProxyMode = "pass";
  inserts = 0;
  /** Client writes holding an extended-protocol message (Parse, Bind…): bind parameters or a describe. */
  extendedWrites = 0;
  /** Every byte the clients sent, as latin1 text (what reached the pooler). */
  sent = "";
  private listener: Deno.Listener;
  private conns = new Set<Deno.Conn>();

  constructor(private upstreamPort: number) {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.accept();
  }

  get port() {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  private async accept() {
    for await (const client of this.listener) {
      let upstream: Deno.Conn;
      try {
        upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.upstreamPort });
      } catch {
        client.close();
        continue;
      }
      this.conns.add(client).add(upstream);
      this.pipe(client, upstream);
    }
  }

  private close(c: Deno.Conn) {
    if (this.conns.delete(c)) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  }

  private async pipe(client: Deno.Conn, upstream: Deno.Conn) {
    let clientGone = false;
    const down = (async () => {
      const buf = new Uint8Array(65536);
      while (true) {
        const n = await upstream.read(buf).catch(() => null);
        if (n === null) break;
        if (clientGone || this.mode === "stall") continue; // swallowed: the answer never arrives
        await client.write(buf.subarray(0, n)).catch(() => {});
      }
      this.close(client);
    })();
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await client.read(buf).catch(() => null);
      if (n === null) break;
      const text = new TextDecoder("latin1").decode(buf.subarray(0, n)).toLowerCase();
      const inserts = text.match(/insert into/g)?.length ?? 0;
      this.inserts += inserts;
      // A write made only of simple Query messages (not a pipeline that begins with a simple BEGIN).
      const onlyQueries = simpleOnly(buf.subarray(0, n));
      if (!onlyQueries) this.extendedWrites++;
      this.sent += new TextDecoder("latin1").decode(buf.subarray(0, n));
      const commits = (text.match(/\bcommit\b/g)?.length ?? 0) + (onlyQueries && inserts ? 1 : 0);
      await upstream.write(buf.subarray(0, n)).catch(() => {});
      if (commits && this.mode === "drop-commit-ack") {
        // COMMIT is on its way to the server; the client never hears back. The server side stays up a
        // moment so the pooler and Postgres finish the commit (a dropped client would make it roll back).
        clientGone = true;
        this.close(client);
        setTimeout(() => this.close(upstream), 500);
        break;
      }
    }
    if (!clientGone) this.close(upstream);
    await down;
  }

  async stop() {
    this.listener.close();
    for (const c of [...this.conns]) this.close(c);
    await new Promise((r) => setTimeout(r, 10));
  }
}
