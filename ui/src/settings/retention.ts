// "Keep records": how long the history keeps an interaction. Choosing a time shows how many
// records it would remove now; nothing changes until Apply.
import { type RetentionView, retentionPreview, retentionSet, retentionView } from '../ipc';
import { byId } from '../common/dom';
import { clearError, reportError } from '../common/error-banner';

const choice = byId<HTMLSelectElement>('retention-choice');
const daysInput = byId<HTMLInputElement>('retention-days');
const daysLabel = byId('retention-days-label');
const apply = byId<HTMLButtonElement>('retention-apply');
const status = byId('retention-status');

/** The days in force (null: forever), as last read. */
let current: number | null = null;
let previewSeq = 0;

function chosen(): number | null | 'invalid' {
  if (choice.value === 'forever') return null;
  const n = Number(choice.value === 'custom' ? daysInput.value : choice.value);
  return Number.isInteger(n) && n >= 1 && n <= 36_500 ? n : 'invalid';
}

function words(days: number | null): string {
  if (days === null) return 'forever';
  if (days % 365 === 0) return `${days / 365} year${days === 365 ? '' : 's'}`;
  return `${days.toLocaleString()} day${days === 1 ? '' : 's'}`;
}

function count(v: RetentionView): string {
  return `${v.expiring.toLocaleString()}${v.expiring >= v.countCap ? '+' : ''} record${v.expiring === 1 ? '' : 's'}`;
}

function show(v: RetentionView): void {
  current = v.days;
  const preset = v.days === null ? 'forever' : String(v.days);
  if ([...choice.options].some((o) => o.value === preset)) {
    choice.value = preset;
  } else {
    choice.value = 'custom';
    daysInput.value = String(v.days);
  }
  daysInput.hidden = daysLabel.hidden = choice.value !== 'custom';
  apply.disabled = true;
  status.className = 'retention-status';
  status.textContent = v.days === null ? 'Records are kept forever.' : `Records are kept ${words(v.days)}; ${count(v)} older than that are being removed.`;
  if (v.days !== null && v.expiring === 0) status.textContent = `Records are kept ${words(v.days)}.`;
}

async function preview(): Promise<void> {
  daysInput.hidden = daysLabel.hidden = choice.value !== 'custom';
  const days = chosen();
  const seq = ++previewSeq;
  if (days === 'invalid') {
    apply.disabled = true;
    status.className = 'retention-status warn';
    status.textContent = 'Enter a number of days from 1 to 36,500.';
    return;
  }
  apply.disabled = days === current;
  if (days === current) {
    status.className = 'retention-status';
    status.textContent = days === null ? 'Records are kept forever.' : `Records are kept ${words(days)}.`;
    return;
  }
  try {
    const v = await retentionPreview(days);
    if (seq !== previewSeq) return;
    status.className = v.expiring > 0 ? 'retention-status warn' : 'retention-status';
    status.textContent =
      days === null
        ? 'Apply to keep every record from now on.'
        : v.expiring > 0
          ? `Apply to keep ${words(days)}: ${count(v)} older than that will be removed, for good.`
          : `Apply to keep ${words(days)}: no record is older than that now.`;
  } catch (err) {
    reportError(err, 'Cannot count the records');
  }
}

async function onApply(): Promise<void> {
  const days = chosen();
  if (days === 'invalid') return;
  apply.disabled = true;
  try {
    show(await retentionSet(days));
    clearError();
  } catch (err) {
    reportError(err, 'Not changed');
    apply.disabled = false;
  }
}

export async function refreshRetention(): Promise<void> {
  try {
    show(await retentionView());
  } catch (err) {
    reportError(err, 'Cannot read how long records are kept');
  }
}

choice.addEventListener('change', () => void preview());
daysInput.addEventListener('input', () => void preview());
apply.addEventListener('click', () => void onApply());
