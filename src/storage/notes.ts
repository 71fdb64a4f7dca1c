/**
 * Notes from the storage layer that a user should see but that change no result: a stale kseg
 * lock taken over, a symbolic link removed while its target stays. The CLI prints them on stderr
 * (`kseg: note: …`); library users may subscribe. Without a subscriber they are dropped.
 */
type NoteHandler = (message: string) => void;

let handler: NoteHandler | null = null;

/** Set (or with null clear) the function that receives notes; returns the previous one. */
export function onStorageNote(fn: NoteHandler | null): NoteHandler | null {
  const prev = handler;
  handler = fn;
  return prev;
}

export function storageNote(message: string): void {
  handler?.(message);
}
