import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Parameter,
  type StackEvent,
  UpdateStackCommand,
  type UpdateStackCommandInput,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { awsError } from './helpers';

/**
 * One CloudFormation stack behind aws-sdk-client-mock. UpdateStack behaves like CloudFormation's (busy and
 * no-change validation errors, parameters with UsePreviousValue) and then plays the configured outcome, one
 * step per DescribeStacks call; events are kept newest first and paged 3 at a time.
 */

export const STACK_NAME = 'berth-cash-collection';
export const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK_NAME}/5b1e2f30-0000-11f0-8000-0a1b2c3d4e5f`;

export interface ScriptStep {
  readonly status: string;
  readonly events?: readonly Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'>[];
  readonly params?: Readonly<Record<string, string>>;
}

export type Outcome =
  | { readonly kind: 'complete'; readonly polls?: number }
  | {
      readonly kind: 'rollback';
      readonly reason: string;
      readonly rollbackStatus?: 'UPDATE_ROLLBACK_COMPLETE' | 'UPDATE_ROLLBACK_FAILED';
    }
  | { readonly kind: 'hang' };

export const CIRCUIT_BREAKER =
  'Resource handler returned message: "Error occurred during operation \'ECS Deployment Circuit Breaker was triggered\'." (RequestToken: 1b2c, HandlerErrorCode: GeneralServiceException)';

export class FakeCloudFormation {
  readonly mock = mockClient(CloudFormationClient);
  exists = true;
  status = 'UPDATE_COMPLETE';
  params: Record<string, string> = {};
  /** Newest first. */
  events: StackEvent[] = [];
  /** Steps applied one per DescribeStacks call. */
  script: ScriptStep[] = [];
  outcome: Outcome = { kind: 'complete', polls: 1 };
  time = Date.parse('2026-12-01T09:00:00Z');
  private seq = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.mock.reset();
    this.exists = true;
    this.status = 'UPDATE_COMPLETE';
    this.params = {
      BootstrapVersion: '/cdk-bootstrap/hnb659fds/version',
      ImageTag: 'none',
      RestartNonce: 'initial',
    };
    this.events = [];
    this.script = [];
    this.outcome = { kind: 'complete', polls: 1 };
    this.mock.on(DescribeStacksCommand).callsFake(() => this.describe());
    this.mock.on(DescribeStackEventsCommand).callsFake((input) => this.describeEvents(input.NextToken));
    this.mock.on(UpdateStackCommand).callsFake((input) => this.update(input));
  }

  event(e: Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'>): void {
    this.time += 1000;
    this.events.unshift({
      StackId: STACK_ID,
      StackName: STACK_NAME,
      EventId: `event-${++this.seq}`,
      Timestamp: new Date(this.time),
      ...e,
    });
  }

  stackEvent(
    status: string,
    token?: string,
    reason?: string,
  ): Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'> {
    return {
      LogicalResourceId: STACK_NAME,
      PhysicalResourceId: STACK_ID,
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: status as StackEvent['ResourceStatus'],
      ...(token ? { ClientRequestToken: token } : {}),
      ...(reason ? { ResourceStatusReason: reason } : {}),
    };
  }

  /** Another operation (a `cdk deploy`) holds the stack for `polls` DescribeStacks calls. */
  busy(polls: number, status = 'UPDATE_IN_PROGRESS'): void {
    this.status = status;
    this.event(this.stackEvent(status, 'cdk-deploy-token', 'User Initiated'));
    this.script = [
      ...Array.from({ length: Math.max(0, polls - 1) }, () => ({ status })),
      { status: 'UPDATE_COMPLETE', events: [this.stackEvent('UPDATE_COMPLETE', 'cdk-deploy-token')] },
    ];
  }

  private describe() {
    if (!this.exists) throw awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`);
    const step = this.script.shift();
    if (step !== undefined) {
      this.status = step.status;
      for (const e of step.events ?? []) this.event(e);
      if (step.params) this.params = { ...step.params };
    }
    return {
      Stacks: [
        {
          StackName: STACK_NAME,
          StackId: STACK_ID,
          StackStatus: this.status as never,
          CreationTime: new Date(0),
          Parameters: Object.entries(this.params).map(([ParameterKey, ParameterValue]) => ({
            ParameterKey,
            ParameterValue,
          })),
        },
      ],
    };
  }

  private describeEvents(nextToken: string | undefined) {
    const from = nextToken === undefined ? 0 : Number(nextToken);
    const page = this.events.slice(from, from + 3);
    return { StackEvents: page, ...(from + 3 < this.events.length ? { NextToken: String(from + 3) } : {}) };
  }

  private update(input: UpdateStackCommandInput) {
    if (!this.status.endsWith('_COMPLETE') || this.status.includes('CLEANUP')) {
      throw awsError(
        'ValidationError',
        `Stack:${STACK_ID} is in ${this.status} state and can not be updated.`,
      );
    }
    const next = { ...this.params };
    for (const p of input.Parameters ?? ([] as Parameter[])) {
      if (p.UsePreviousValue && p.ParameterValue !== undefined) throw awsError('ValidationError', 'both');
      if (!p.UsePreviousValue) next[p.ParameterKey!] = p.ParameterValue!;
    }
    if (Object.keys(next).length !== Object.keys(this.params).length)
      throw awsError('ValidationError', 'parameters missing');
    if (Object.entries(next).every(([k, v]) => this.params[k] === v)) {
      throw awsError('ValidationError', 'No updates are to be performed.');
    }
    const token = input.ClientRequestToken;
    const previous = { ...this.params };
    this.params = next;
    this.status = 'UPDATE_IN_PROGRESS';
    this.event(this.stackEvent('UPDATE_IN_PROGRESS', token, 'User Initiated'));
    const resource = (id: string, type: string, status: string, reason?: string) => ({
      LogicalResourceId: id,
      ResourceType: type,
      ResourceStatus: status as StackEvent['ResourceStatus'],
      ...(token ? { ClientRequestToken: token } : {}),
      ...(reason ? { ResourceStatusReason: reason } : {}),
    });
    const o = this.outcome;
    if (o.kind === 'complete') {
      this.script = [
        ...Array.from({ length: o.polls ?? 1 }, () => ({
          status: 'UPDATE_IN_PROGRESS',
          events: [resource('Service', 'AWS::ECS::Service', 'UPDATE_IN_PROGRESS')],
        })),
        {
          status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
          events: [resource('Service', 'AWS::ECS::Service', 'UPDATE_COMPLETE')],
        },
        { status: 'UPDATE_COMPLETE', events: [this.stackEvent('UPDATE_COMPLETE', token)] },
      ];
    } else if (o.kind === 'rollback') {
      const final = o.rollbackStatus ?? 'UPDATE_ROLLBACK_COMPLETE';
      this.script = [
        {
          status: 'UPDATE_IN_PROGRESS',
          events: [resource('TaskDefinition', 'AWS::ECS::TaskDefinition', 'UPDATE_COMPLETE')],
        },
        {
          status: 'UPDATE_ROLLBACK_IN_PROGRESS',
          events: [
            resource('Service', 'AWS::ECS::Service', 'UPDATE_FAILED', o.reason),
            resource(
              'ScalingTarget',
              'AWS::ApplicationAutoScaling::ScalableTarget',
              'UPDATE_FAILED',
              'Resource update cancelled',
            ),
            this.stackEvent(
              'UPDATE_ROLLBACK_IN_PROGRESS',
              token,
              'The following resource(s) failed to update: [Service].',
            ),
          ],
        },
        { status: final, events: [this.stackEvent(final, token)], params: previous },
      ];
    } else {
      this.script = [];
    }
    return { StackId: STACK_ID };
  }
}
