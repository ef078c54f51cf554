// The types exchanged with the backend. Those that Rust sends or receives are generated from
// the Rust types (generated.ts, kept current by a Rust test); only names and the event payload
// below are defined on this side.
import type { CommandError, HistoryRow, RaisedExample } from './generated';

export type {
  AppKind,
  ChannelBadge,
  ChartStack,
  DayCount,
  ExportDone,
  ExportFormat,
  ExportProgress,
  HistorySearch,
  LauncherApp,
  LauncherInstance,
  LauncherView,
  OwnWindow,
  RememberedChoice,
  RetentionView,
  SourceCheck,
  SourcesView,
  HistoryDetail,
  HistoryOutcome,
  HistoryQuery,
  Person,
  HistoryRow,
  RaiserRef,
  ResolverApp,
  ResolverChoice,
  ResolverOption,
  ResolverView,
} from './generated';

export type HistoryState = HistoryRow['state'];

export type RaiseExampleResult = RaisedExample;

/** The shape every command rejects with. */
export type IpcErrorPayload = CommandError;

