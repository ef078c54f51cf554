// What the launcher's search matches, and FDC3 open errors in words.
import type { LauncherApp } from '../ipc';

/** Every word of `query` is in the app's title, description or id (case-insensitive). */
export function matches(app: LauncherApp, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return true;
  const text = `${app.title} ${app.description ?? ''} ${app.appId}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

const OPEN_ERRORS: Record<string, string> = {
  AppNotFound: 'it is no longer in the app directory',
  ErrorOnLaunch: 'it could not be started (its page or program failed to load)',
  AppTimeout: 'it started but did not connect to Interlog in time',
  ResolverUnavailable: 'Interlog cannot ask which app to use',
  MalformedContext: 'the context given to it is not valid',
};

/** An error from opening an app, in words. */
export function openErrorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return OPEN_ERRORS[message] ?? message;
}
