import type { ResolverView } from '../ipc';

export function titleText(view: ResolverView): string {
  return view.intent !== null ? `Choose an app for ${view.intent}` : 'Choose an intent and app';
}

export function raiserText(view: ResolverView): string {
  return `Raised by ${view.raiser.title || view.raiser.appId}`;
}

export function queuedText(queued: number): string {
  return `${queued} more waiting`;
}
