// The context being sent, in readable form plus raw JSON.
import { el } from '../common/dom';
import { contextFields, jsonDetails } from '../common/context-preview';
import { contextType } from '../common/data';

const DESCRIPTION_MAX = 110;

export function renderPreview(container: HTMLElement, context: unknown): void {
  const type = contextType(context) ?? 'unknown type';
  container.replaceChildren(
    el('h2', { class: 'preview-title' }, ['Context ', el('span', { class: 'muted mono', text: type })]),
    contextFields(context, { descriptionMax: DESCRIPTION_MAX }),
    jsonDetails('Raw JSON', context),
  );
}
