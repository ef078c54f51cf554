// Export from the history window: the rows shown (search, period, filters), as CSV or JSON Lines,
// to a file the user names or picks in the desktop's save dialog, with a progress bar and Cancel.
// The file appears only when complete: a cancelled or failed export leaves nothing behind.
import { byId } from '../common/dom';
import { type ExportFormat, type HistoryQuery, historyExport, historyExportCancel, historyExportChoose, historyExportSuggest, toIpcError } from '../ipc';

export interface ExportHost {
  /** The query of the rows shown. */
  query(): HistoryQuery;
  /** What the rows shown are, in words ("12 interactions matching “jane”"), for the dialog's title. */
  describe(): string;
}

export class ExportDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly what: HTMLElement;
  private readonly path: HTMLInputElement;
  private readonly choose: HTMLButtonElement;
  private readonly start: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly close: HTMLButtonElement;
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private running = false;
  /** The path was typed or chosen by the user: a format change keeps it (but its extension). */
  private edited = false;

  constructor(
    opener: HTMLButtonElement,
    private readonly host: ExportHost,
  ) {
    // The markup is in index.html: nothing here is built from strings.
    this.dialog = byId<HTMLDialogElement>('export-dialog');
    const q = <T extends Element>(sel: string): T => {
      const e = this.dialog.querySelector<T>(sel);
      if (e === null) throw new Error(`export dialog: ${sel} missing`);
      return e;
    };
    this.what = q('.export-what');
    this.path = q('.export-path');
    this.choose = q('.export-choose');
    this.start = q('.export-start');
    this.cancel = q('.export-cancel');
    this.close = q('.export-close');
    this.progress = q('.export-progress');
    this.status = q('.export-status');

    opener.addEventListener('click', () => void this.open());
    this.dialog.querySelector('form')?.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run();
    });
    for (const radio of this.dialog.querySelectorAll<HTMLInputElement>('input[name="export-format"]')) {
      radio.addEventListener('change', () => void this.formatChanged());
    }
    this.path.addEventListener('input', () => {
      this.edited = true;
    });
    this.choose.addEventListener('click', () => void this.chooseFile());
    this.cancel.addEventListener('click', () => void historyExportCancel());
    this.close.addEventListener('click', () => this.dialog.close());
    // Esc while an export runs does not hide it: Cancel stops it.
    this.dialog.addEventListener('cancel', (e) => {
      if (this.running) e.preventDefault();
    });
  }

  private format(): ExportFormat {
    return this.dialog.querySelector<HTMLInputElement>('input[name="export-format"]:checked')?.value === 'jsonl' ? 'jsonl' : 'csv';
  }

  private async open(): Promise<void> {
    if (!this.running) {
      this.what.textContent = `The rows the list shows, with its search, period and filters: ${this.host.describe()}.`;
      this.status.textContent = '';
      this.status.className = 'export-status';
      this.progress.hidden = true;
      if (!this.edited || this.path.value === '') await this.suggest();
    }
    this.dialog.showModal();
    if (!this.running) this.start.focus();
  }

  private async suggest(): Promise<void> {
    try {
      this.path.value = await historyExportSuggest(this.format());
      this.edited = false;
    } catch (err) {
      this.fail(err);
    }
  }

  private async formatChanged(): Promise<void> {
    if (!this.edited) {
      await this.suggest();
      return;
    }
    // Keep the user's file, with the new format's extension.
    this.path.value = this.path.value.replace(/\.(csv|jsonl)$/i, '') + '.' + this.format();
  }

  private async chooseFile(): Promise<void> {
    try {
      const chosen = await historyExportChoose(this.path.value);
      if (chosen !== null) {
        this.path.value = chosen;
        this.edited = true;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.setRunning(true);
    this.status.className = 'export-status';
    this.status.textContent = 'Counting…';
    this.progress.hidden = false;
    this.progress.removeAttribute('value');
    try {
      const done = await historyExport(this.host.query(), this.format(), this.path.value, (p) => {
        this.progress.max = Math.max(1, p.total);
        this.progress.value = p.written;
        this.status.textContent = `${p.written.toLocaleString()} of ${p.total.toLocaleString()} interactions written…`;
      });
      this.progress.max = 1;
      this.progress.value = 1;
      this.status.className = 'export-status ok';
      this.status.textContent = `${done.written.toLocaleString()} interaction${done.written === 1 ? '' : 's'} written to ${done.path}`;
      this.close.focus();
    } catch (err) {
      this.progress.hidden = true;
      this.fail(err);
    } finally {
      this.setRunning(false);
    }
  }

  private fail(err: unknown): void {
    const e = toIpcError(err);
    this.status.className = e.code === 'cancelled' ? 'export-status' : 'export-status fail';
    this.status.textContent = e.code === 'cancelled' ? 'Cancelled: no file was written.' : `Cannot export: ${e.message}`;
  }

  private setRunning(running: boolean): void {
    this.running = running;
    this.start.disabled = running;
    this.choose.disabled = running;
    this.path.disabled = running;
    for (const radio of this.dialog.querySelectorAll<HTMLInputElement>('input[name="export-format"]')) radio.disabled = running;
    this.cancel.hidden = !running;
    this.close.hidden = running;
  }
}
