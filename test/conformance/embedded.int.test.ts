import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedTransport } from '@campusg/messaging/embedded';
import { type Db, openPglite } from '@campusg/platform';
import { describeTransportConformance } from './transport-conformance.ts';

// The embedded bus over PGlite in a temporary data dir; a restart closes the transport and the
// database and opens both again on the same directory.
let dir: string | undefined;
let db: Db | undefined;

describeTransportConformance('embedded (PGlite)', {
  capabilities: { replay: true },
  async create() {
    dir = mkdtempSync(path.join(tmpdir(), 'campusg-conf-'));
    db = await openPglite(dir);
    return new EmbeddedTransport(db);
  },
  async restart(transport) {
    await transport.close();
    await db!.close();
    db = await openPglite(dir);
    return new EmbeddedTransport(db);
  },
  async cleanup() {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
