// What a channel receives. Generic webhooks get the event as JSON; Slack gets an incoming-webhook message
// (`text` for notifications and clients without blocks, `blocks` for the formatted version).
import type { BudgetScope } from '@acc/extproc/budgets';

export interface BudgetAlertEvent {
  /** The alert id: the same on every retry and every channel, so receivers can drop duplicates. */
  id: string;
  type: 'budget.threshold_crossed' | 'test';
  createdAt: string;
  orgId: string;
  budget: {
    id: string;
    name: string;
    scope: BudgetScope;
    subject: string | null;
    enforcement: 'hard' | 'soft';
  } | null;
  alert: {
    threshold: number;
    windowId: string;
    spentUsd: number;
    limitUsd: number;
    utilisation: number;
  } | null;
}

export interface AlertSnapshot {
  alertId: string;
  orgId: string;
  firedAt: Date;
  budgetId: string;
  budgetName: string;
  scope: BudgetScope;
  subject: string | null;
  enforcement: 'hard' | 'soft';
  threshold: number;
  windowId: string;
  spentUsd: number;
  limitUsd: number;
}

export function budgetAlertEvent(alert: AlertSnapshot): BudgetAlertEvent {
  return {
    id: alert.alertId,
    type: 'budget.threshold_crossed',
    createdAt: alert.firedAt.toISOString(),
    orgId: alert.orgId,
    budget: {
      id: alert.budgetId,
      name: alert.budgetName,
      scope: alert.scope,
      subject: alert.subject,
      enforcement: alert.enforcement,
    },
    alert: {
      threshold: alert.threshold,
      windowId: alert.windowId,
      spentUsd: alert.spentUsd,
      limitUsd: alert.limitUsd,
      utilisation: alert.spentUsd / alert.limitUsd,
    },
  };
}

export function testEvent(id: string, orgId: string, now: Date): BudgetAlertEvent {
  return { id, type: 'test', createdAt: now.toISOString(), orgId, budget: null, alert: null };
}

const usd = (value: number) => `$${value.toFixed(2)}`;
// Slack reads <…> as links and mentions (<!channel>): names chosen by users must not ping anyone.
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function describeSubject(event: BudgetAlertEvent): string {
  const budget = event.budget;
  if (!budget || budget.scope === 'org') return 'the whole organization';
  return `${budget.scope} ${slackEscape(budget.subject ?? '')}`;
}

export function slackMessage(event: BudgetAlertEvent): { text: string; blocks: object[] } {
  if (!event.budget || !event.alert) {
    const text = 'AgentCostControl test alert: this channel receives budget alerts.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const { budget, alert } = event;
  const name = slackEscape(budget.name);
  const consequence =
    alert.threshold >= 100 && budget.enforcement === 'hard'
      ? 'Requests that would exceed the limit are now refused.'
      : budget.enforcement === 'soft'
        ? 'The budget is soft: requests are not refused.'
        : 'Requests are still allowed until the limit is reached.';
  const text =
    `Budget "${name}" reached ${alert.threshold}% of its limit: ` +
    `${usd(alert.spentUsd)} of ${usd(alert.limitUsd)} spent in window ${slackEscape(alert.windowId)}.`;
  return {
    text,
    blocks: [
      // plain_text is not parsed for mentions; Slack caps header text at 150 characters.
      {
        type: 'header',
        text: {
          type: 'plain_text',
          text: `Budget ${alert.threshold}% reached: ${budget.name}`.slice(0, 150),
        },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Spent*\n${usd(alert.spentUsd)} of ${usd(alert.limitUsd)}` },
          { type: 'mrkdwn', text: `*Utilisation*\n${(alert.utilisation * 100).toFixed(1)}%` },
          { type: 'mrkdwn', text: `*Applies to*\n${describeSubject(event)}` },
          { type: 'mrkdwn', text: `*Window*\n${slackEscape(alert.windowId)}` },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${consequence} Alert id ${event.id}.` }] },
    ],
  };
}
