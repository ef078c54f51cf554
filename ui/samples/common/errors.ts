// FDC3 errors in words. The agent rejects with Errors whose message is one of the error
// strings of the standard (ResolveError, ResultError, ChannelError, OpenError, AgentError).

const WORDS: Readonly<Record<string, string>> = {
  UserCancelledResolution: 'You closed the app chooser without choosing an app',
  NoAppsFound: 'No app can handle this request',
  ResolverTimeout: 'The app chooser timed out before an app was chosen',
  ResolverUnavailable: 'The app chooser could not be shown',
  IntentDeliveryFailed: 'The chosen app did not take the request in time',
  TargetAppUnavailable: 'The chosen app could not be started',
  TargetInstanceUnavailable: 'The chosen app window is no longer open',
  MalformedContext: 'The data sent was not valid FDC3 context',
  NoResultReturned: 'The app handled the request but sent no result back',
  IntentHandlerRejected: 'The app ran into an error while handling the request',
  ApiTimeout: 'The desktop agent did not answer in time',
  AccessDenied: 'The desktop agent did not allow this',
  NoChannelFound: 'That channel does not exist',
  CreationFailed: 'The channel could not be created',
  AppNotFound: 'That app is not in the app directory',
  ErrorOnLaunch: 'The app failed to start',
  AppTimeout: 'The app started but did not get ready in time',
  DesktopAgentNotFound: 'The desktop agent asked for is not connected',
  AgentNotFound: 'No FDC3 desktop agent was found',
};

export interface ErrorDescription {
  /** A sentence for the user. */
  words: string;
  /** The raw error string, as the agent sent it. */
  code: string;
}

export function rawError(e: unknown): string {
  if (typeof e === 'string') return e;
  // Errors may come from another realm (instanceof would miss them): look at the shape.
  if (e !== null && typeof e === 'object') {
    const { message, name } = e as { message?: unknown; name?: unknown };
    if (typeof message === 'string' && message !== '') return message;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
  }
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

export function describeError(e: unknown): ErrorDescription {
  const code = rawError(e).trim();
  const known = WORDS[code];
  return { words: known ?? `Something went wrong: ${code || 'unknown error'}`, code };
}
