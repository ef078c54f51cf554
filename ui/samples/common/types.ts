// FDC3 types used by the samples. Types only: at run time the samples talk to nothing but the
// `window.fdc3` that Interlog injects. The context types are those the DesktopAgent API of
// @finos/fdc3-standard is declared with (its own dependency, @finos/fdc3-context).

export type {
  AppIdentifier,
  AppMetadata,
  Channel,
  ContextMetadata,
  DesktopAgent,
  IntentResolution,
  IntentResult,
} from '@finos/fdc3-standard';

export type {
  Contact,
  ContactList,
  Context,
  Interaction,
  TransactionResult,
  TransactionStatus,
} from '@finos/fdc3-context';

import type { Interaction } from '@finos/fdc3-context';

/**
 * An interaction as it travels: JSON has no dates, so the time range holds ISO 8601 strings
 * (the generated `Interaction` type declares them as `Date`).
 */
export type InteractionMessage = {
  [K in keyof Interaction as K extends 'timeRange' ? never : K]: Interaction[K];
} & {
  timeRange: { type: 'fdc3.timeRange'; startTime: string; endTime: string };
};
