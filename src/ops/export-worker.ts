import { parentPort } from 'node:worker_threads';
import { setNativeDisabled } from '../format/native.js';
import { applyEnvironment } from '../storage/environment.js';
import { ParquetPages, writerError, type WriterError, type WriterReply, type WriterRequest } from './export-parquet-pages.js';

/**
 * Export's Parquet writer thread (export-parquet-io.ts starts it, once per process): compresses
 * and writes the row groups it is sent, in the order sent; its reply to a group tells the main
 * thread that the group's arrays (shared memory) may be filled again. One request, one reply with the same id (export-parquet-pages.ts).
 */

applyEnvironment();

if (parentPort) {
  const port = parentPort;
  /** Open files; a file whose write failed keeps its first error, given again to every later request. */
  const files = new Map<number, { pages: Promise<ParquetPages>; failed: WriterError | null }>();
  // Requests run one after the other (in the order sent), each as soon as the previous one is done.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: WriterRequest) => {
    chain = chain.then(() => handle(m)).catch((e: unknown) => port.postMessage({ id: m.id, error: writerError(e) } satisfies WriterReply));
  });

  const handle = async (m: WriterRequest): Promise<void> => {
    if (m.op === 'open') {
      setNativeDisabled(!m.opts.native);
      const pages = ParquetPages.open(m.fd, m.opts);
      const f = { pages, failed: null as WriterError | null };
      files.set(m.file, f);
      try {
        await pages;
        port.postMessage({ id: m.id } satisfies WriterReply);
      } catch (e) {
        files.delete(m.file);
        port.postMessage({ id: m.id, error: writerError(e) } satisfies WriterReply);
      }
      return;
    }
    const f = files.get(m.file);
    if (m.op === 'close') {
      if (f) await (await f.pages.catch(() => null))?.settle();
      files.delete(m.file);
      port.postMessage({ id: m.id } satisfies WriterReply);
      return;
    }
    if (!f || f.failed) {
      const error = f?.failed ?? { name: 'InternalError', message: `export writer: file ${m.file} is not open` };
      port.postMessage({ id: m.id, error } satisfies WriterReply);
      return;
    }
    try {
      const pages = await f.pages;
      if (m.op === 'group') await pages.writeGroup(m.group);
      else await pages.finish();
    } catch (e) {
      f.failed = writerError(e);
    }
    // a written group's bytes go back to the main thread to be filled again (SentGroup.moved)
    const moved = m.op === 'group' && !f.failed ? m.group.moved : undefined;
    port.postMessage({ id: m.id, error: f.failed ?? undefined, moved } satisfies WriterReply, moved ?? []);
  };
}
