/**
 * A build's log as it is written: `GET /builds/{id}/log?follow=true` read chunk by chunk (the
 * server answers with its headers at once, keeps the response open and ends it when the build
 * ends). A dropped connection is resumed with `offset=` the bytes already received, so nothing is
 * shown twice or lost; a response that ends while the build still runs (the server ends a log
 * silent for most of its idle timeout; a proxy's time limit) is resumed the same way, at once.
 */
import { useEffect, useState } from 'react';
import { api, asProblem, type Problem } from '../../api/client';
import { isFinal } from './builds';

/** Where the log stream stands. */
export type LogState = 'connecting' | 'streaming' | 'reconnecting' | 'ended' | 'failed';

/** The log received so far and the stream's state. */
export interface BuildLog {
  readonly text: string;
  readonly state: LogState;
  /** Why the log could not be read (state `failed`). */
  readonly problem: Problem | undefined;
}

/** Longest wait between two reconnections. */
const MAX_BACKOFF_MS = 10_000;

/**
 * Follows the log of build `id` until the build ends or the component unmounts (key the
 * component by the build: the log starts empty).
 */
export function useBuildLog(id: string): BuildLog {
  const [log, setLog] = useState<BuildLog>({
    text: '',
    state: 'connecting',
    problem: undefined,
  });
  useEffect(() => {
    const stop = new AbortController();
    void follow(id, stop.signal, (change) => {
      // Nothing from a stream that was let go (unmounted, or React's development re-run).
      if (stop.signal.aborted) {
        return;
      }
      setLog((current) => ({
        text: current.text + (change.text ?? ''),
        state: change.state ?? current.state,
        problem: change.problem ?? current.problem,
      }));
    });
    return () => stop.abort();
  }, [id]);
  return log;
}

type Change = Partial<Omit<BuildLog, 'text'>> & { text?: string };

/**
 * What one request for the log came to: the build ended, the server refused, the response ended
 * or broke after it began (resumed at once), or it never began (retried with backoff).
 */
type Attempt = 'ended' | 'refused' | 'resume' | 'lost';

/** Reads the log into `report` until the build ends, the signal aborts or the server refuses. */
async function follow(id: string, signal: AbortSignal, report: (c: Change) => void) {
  const stream = { offset: 0, decoder: new TextDecoder() };
  let failures = 0;
  while (!signal.aborted) {
    const attempt = await read(id, stream, signal, report);
    if (attempt === 'ended' || attempt === 'refused' || signal.aborted) {
      return;
    }
    if (attempt === 'resume') {
      failures = 0;
      await sleep(250, signal);
    } else {
      failures += 1;
      report({ state: 'reconnecting' });
      await sleep(Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5)), signal);
    }
  }
}

/**
 * One request of the log from `stream.offset` on, appending what arrives. One decoder serves
 * every request: a character split between two responses still decodes.
 */
async function read(
  id: string,
  stream: { offset: number; decoder: TextDecoder },
  signal: AbortSignal,
  report: (c: Change) => void,
): Promise<Attempt> {
  let connected = false;
  try {
    // The server sends its status and headers at once, before any log text.
    const response = await fetch(
      `/api/v1/builds/${encodeURIComponent(id)}/log?follow=true&offset=${stream.offset}`,
      { signal, credentials: 'same-origin', headers: { accept: 'text/plain' } },
    );
    if (!response.ok || response.body === null) {
      const problem = asProblem(await response.json().catch(() => undefined), response);
      // A refusal (gone, not yours, logged out) does not get better by asking again.
      if (response.status >= 400 && response.status < 500) {
        report({ state: 'failed', problem });
        return 'refused';
      }
      return 'lost';
    }
    connected = true;
    report({ state: 'streaming' });
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      stream.offset += chunk.value.byteLength;
      report({ text: stream.decoder.decode(chunk.value, { stream: true }) });
    }
    if (await ended(id)) {
      report({ text: stream.decoder.decode(), state: 'ended' });
      return 'ended';
    }
    return 'resume';
  } catch {
    return connected ? 'resume' : 'lost';
  }
}

/** Whether the build has ended (the server ends the stream then). */
async function ended(id: string): Promise<boolean> {
  const { data } = await api.GET('/api/v1/builds/{id}', { params: { path: { id } } });
  return data !== undefined && isFinal(data.status);
}

/** Waits `ms`, or less when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
