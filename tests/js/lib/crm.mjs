// The sample CRM's behaviour, shared by sample-crm.mjs (the runnable app) and the tests
// (which run the same handler in-process).

import { connectApp } from './connect.mjs';

export const CRM_IDENTITY_URL = 'https://apps.interlog.example/crm/';
export const CRM_APP_ID = 'interlog.sample-crm';
export const CHAT_IDENTITY_URL = 'https://apps.interlog.example/chat/';
export const CHAT_APP_ID = 'interlog.sample-chat';

/** The transactionResult the CRM returns when it has created record `uri` for `record`. */
export function createdResult(record, uri) {
  return {
    type: 'fdc3.transactionResult',
    status: 'Created',
    context: { ...record, id: { URI: uri } },
    message: `record with id "${uri}" was created`,
  };
}

/**
 * A CreateInteraction handler that "stores" records in memory and numbers them 1, 2, 3...
 * - fdc3.interaction: stored as given;
 * - fdc3.contactList: stored as a new interaction with those contacts as participants;
 * - anything else: a 'Failed' transactionResult (nothing is stored).
 * @param {{log?: (line: string) => void}} [opts] log receives one line per handled intent
 */
export function createInteractionHandler({ log = () => {} } = {}) {
  let n = 0;
  return async (context, metadata) => {
    const from = metadata?.source ? `${metadata.source.appId}/${metadata.source.instanceId ?? '?'}` : 'unknown app';
    let record;
    if (context?.type === 'fdc3.interaction') {
      record = context;
    } else if (context?.type === 'fdc3.contactList') {
      record = {
        type: 'fdc3.interaction',
        participants: context,
        interactionType: 'Meeting',
        timeRange: { type: 'fdc3.timeRange', startTime: new Date().toISOString() },
        description: `Interaction with ${context.contacts?.length ?? 0} contact(s)`,
      };
    } else {
      const message = `cannot create an interaction from a context of type ${JSON.stringify(context?.type)}`;
      log(`CreateInteraction from ${from}: Failed (${message})`);
      return { type: 'fdc3.transactionResult', status: 'Failed', message };
    }
    n += 1;
    const uri = `crm://interactions/${n}`;
    log(`CreateInteraction from ${from}: ${context.type} -> Created ${uri}`);
    return createdResult(record, uri);
  };
}

/**
 * Connects one CRM instance and registers its CreateInteraction listener.
 * @param {object} opts connectApp options (identityUrl defaults to the CRM's), plus `log`, or a
 *   `handler` to reuse (so record numbers keep counting across reconnects)
 * @returns the connectApp result
 */
export async function startCrm({ log, handler = createInteractionHandler({ log }), ...connectOpts } = {}) {
  const app = await connectApp({ identityUrl: CRM_IDENTITY_URL, ...connectOpts });
  await app.agent.addIntentListener('CreateInteraction', handler);
  return app;
}
