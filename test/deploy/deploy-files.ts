/** The deploy/ files under test, loaded once, and the expressions they contain. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { catalogSeries, recordingRuleLabels } from './promql';

export const ROOT = join(__dirname, '..', '..');
export const DASHBOARD_PATH = join(ROOT, 'deploy', 'grafana', 'flockmq-dashboard.json');
export const RULES_PATH = join(ROOT, 'deploy', 'prometheus', 'flockmq-alerts.yaml');
export const RULES_TEST_PATH = join(ROOT, 'deploy', 'prometheus', 'flockmq-alerts.test.yaml');

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RulesFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}

export interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  type: string;
  name: string;
  query: string | { query: string };
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

export function loadRules(): RulesFile {
  return parse(readFileSync(RULES_PATH, 'utf8')) as RulesFile;
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

export const allRules = (file: RulesFile): Rule[] => file.groups.flatMap((g) => g.rules);

/** Every panel, those nested in collapsed rows included. */
export const allPanels = (dashboard: Dashboard): Panel[] => dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Series the expressions may use: the catalog's, plus the recording rules with the labels their names promise. */
export function knownSeries(rules: RulesFile, base = catalogSeries()): Map<string, Set<string>> {
  const series = new Map(base);
  for (const rule of allRules(rules)) {
    if (rule.record !== undefined) series.set(rule.record, recordingRuleLabels(rule.record));
  }
  return series;
}

/** Every PromQL expression of the dashboard, named after its panel and query. */
export function dashboardExprs(dashboard: Dashboard): { where: string; expr: string }[] {
  return allPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr ?? '' })),
  );
}

export function ruleExprs(rules: RulesFile): { where: string; expr: string }[] {
  return allRules(rules).map((r) => ({ where: r.alert ?? r.record ?? '?', expr: r.expr }));
}
