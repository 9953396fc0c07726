import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Annotations, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { platformNames, projectNames } from '../config/names';
import { projectAlarmNames, type ProjectAlarmNames } from './alarm-names';
import { berthAlarm } from './berth-alarm';
import { pipelineOutcomeMetrics, serviceUtilizationMetrics, taskCountMetrics } from './metrics';
import { DEFAULT_THRESHOLDS, type ProjectThresholds } from './thresholds';

export interface ProjectAlarmsProps {
  /** The config's prefix; alarm names are `<prefix>-<project>-<what>`. */
  readonly prefix: string;
  /** The project's name. */
  readonly projectName: string;
  /** The platform alarm topic (from the platform stack). */
  readonly topic: sns.ITopic;
  /** The project's target group on the shared ALB; undefined for a worker (no HTTP alarms then). */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** The shared ALB's full name (`app/<name>/<id>`), the target-group metrics' `LoadBalancer` dimension. */
  readonly loadBalancerFullName: string;
  /** The project's ECS service (its deployment alarms are set here). */
  readonly service: ecs.BaseService;
  /** The service's name (the service resource exists only once released, so alarms use the name). */
  readonly serviceName: string;
  /** The ECS cluster's name. */
  readonly clusterName: string;
  /** @default DEFAULT_THRESHOLDS.project */
  readonly thresholds?: ProjectThresholds;
  /**
   * The service's CPU scaling target (`service.scaling.cpuPercent`), quoted by the cpu-high alarm, which must sit
   * above it (synth warns otherwise).
   */
  readonly cpuScalingTargetPercent: number;
  /**
   * The platform generation (`platformGeneration(config)`, src/monitoring/generation.ts), written into the
   * descriptions of the alarms that name the shared ALB (`loadBalancerFullName` is read from the platform stack
   * with Fn::GetStackOutput): a change that replaces the ALB then changes their template, so the deploy updates
   * them and CloudFormation resolves the new name. @default - none (they then keep the first ALB's name)
   */
  readonly generation?: string;
  /**
   * Make the 5xx and unhealthy-hosts alarms ECS deployment alarms, so a deployment during which either fires
   * rolls back on its own. @default true
   */
  readonly rollbackOnAlarm?: boolean;
}

/**
 * One project's alarms, in its own stack: for a routed project target 5xx, unhealthy hosts and p99 response time
 * on its target group (a worker has none); CPU and memory of its service, running tasks below desired, and failed
 * pipeline executions. Every alarm but pipeline-failed notifies the platform topic on ALARM and OK (a failed release
 * is announced by the pipeline-events function's own message). The 5xx and unhealthy-hosts alarms are also the
 * service's deployment alarms.
 */
export class ProjectAlarms extends Construct {
  readonly names: ProjectAlarmNames;
  readonly target5xx?: cloudwatch.Alarm;
  readonly unhealthyHosts?: cloudwatch.Alarm;
  readonly responseTimeP99?: cloudwatch.Alarm;
  readonly cpuHigh: cloudwatch.Alarm;
  readonly memoryHigh: cloudwatch.Alarm;
  readonly tasksBelowDesired: cloudwatch.Alarm;
  readonly pipelineFailed: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ProjectAlarmsProps) {
    super(scope, id);
    const t = props.thresholds ?? DEFAULT_THRESHOLDS.project;
    const p = props.projectName;
    const names = (this.names = projectAlarmNames({ prefix: props.prefix }, { name: p }));
    const derived = projectNames({ prefix: props.prefix }, { name: p });
    const logs = `CloudWatch Logs group ${derived.logGroup}`;
    // Descriptions use the derived (static) cluster name so they read as plain text, not cross-stack tokens.
    const cluster = platformNames({ prefix: props.prefix }).clusterName;
    const topic = props.topic;
    const key = (k: string) => `alarms.${k} of project ${p} in berth.yaml`;
    const generation = props.generation;
    const cpuTarget = props.cpuScalingTargetPercent;

    const targetGroup = props.targetGroup;
    if (targetGroup) {
      // The target group's own metric methods derive the LoadBalancer dimension by splitting the listener ARN,
      // a cross-stack reference here; the platform exports the ALB's full name, so use that instead.
      const tgDimensions = {
        LoadBalancer: props.loadBalancerFullName,
        TargetGroup: targetGroup.targetGroupFullName,
      };
      const tgMetrics = targetGroup.metrics;
      const perMinute = { period: Duration.minutes(1) };

      this.target5xx = berthAlarm(this, 'Target5xx', {
        alarmName: names.target5xx,
        meaning: `${p} answered more than ${t.target5xxPerMinute} requests per minute with a 5xx in 2 of the last 3 minutes; during a deployment this rolls the service back.`,
        firstCheck: `the service's logs (${logs}) for errors and stack traces, and whether a deployment is under way (ECS console: cluster ${cluster}, service ${derived.service}, Deployments).`,
        tune: key('target5xxPerMinute'),
        runbook: 'target-5xx',
        generation,
        metric: tgMetrics
          .httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            ...perMinute,
            statistic: cloudwatch.Stats.SUM,
          })
          .with({ dimensionsMap: tgDimensions }),
        threshold: t.target5xxPerMinute,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // No requests, no 5xx: silence is healthy here.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      });

      this.unhealthyHosts = berthAlarm(this, 'UnhealthyHosts', {
        alarmName: names.unhealthyHosts,
        meaning: `${t.unhealthyHosts === 0 ? 'At least one' : `More than ${t.unhealthyHosts}`} of ${p}'s targets failed the ALB health check for 3 minutes; during a deployment this rolls the service back.`,
        firstCheck: `the target group's Targets tab (EC2 console, Target groups, the name starting with ${derived.qualified.slice(0, 25)}) for the failure reason, then the health check path answers 2xx inside the container (${logs}).`,
        runbook: 'unhealthy-hosts',
        generation,
        metric: tgMetrics
          .unhealthyHostCount({ ...perMinute, statistic: cloudwatch.Stats.MAXIMUM })
          .with({ dimensionsMap: tgDimensions }),
        threshold: t.unhealthyHosts,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        // No data means no registered targets (before the first release); tasks-below-desired covers a service
        // that should run but does not.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      });

      this.responseTimeP99 = berthAlarm(this, 'ResponseTimeP99', {
        alarmName: names.responseTimeP99,
        meaning: `${p}'s p99 response time is above ${t.targetResponseTimeP99Seconds} s in 3 of the last 5 minutes.`,
        firstCheck: `the service's CPU and memory on the dashboard (${p} section), then slow calls in its logs (${logs}) and in the dependencies it calls.`,
        tune: key('targetResponseTimeP99Seconds'),
        runbook: 'response-time-p99',
        generation,
        metric: tgMetrics
          .targetResponseTime({ ...perMinute, statistic: cloudwatch.Stats.p(99) })
          .with({ dimensionsMap: tgDimensions }),
        threshold: t.targetResponseTimeP99Seconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      });
    }

    const utilization = serviceUtilizationMetrics(props.clusterName, props.serviceName, Duration.minutes(5));
    this.cpuHigh = berthAlarm(this, 'CpuHigh', {
      alarmName: names.cpuHigh,
      meaning: `${p}'s tasks use more than ${t.cpuPercent} % of their CPU reservation for 10 minutes: scaling (target ${cpuTarget} %) is at its maximum or cannot place tasks.`,
      firstCheck: `the running vs desired tasks on the dashboard (${p} section) and the service's Events tab (ECS console) for placement failures; raise maxCount or cpu in berth.yaml if the load is real.`,
      tune: key('cpuPercent'),
      runbook: 'cpu-high',
      metric: utilization.cpu,
      threshold: t.cpuPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      // No tasks (before the first release), no utilization; tasks-below-desired covers missing tasks.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      topic,
    });

    this.memoryHigh = berthAlarm(this, 'MemoryHigh', {
      alarmName: names.memoryHigh,
      meaning: `${p}'s tasks use more than ${t.memoryPercent} % of their hard memory limit for 10 minutes; at 100 % a container is killed (OOM).`,
      firstCheck: `stopped tasks in the ECS console (service ${derived.service}, Tasks, Stopped) for "OutOfMemoryError", then memory growth on the dashboard; raise memory in berth.yaml or fix the leak.`,
      tune: key('memoryPercent'),
      runbook: 'memory-high',
      metric: utilization.memory,
      threshold: t.memoryPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      topic,
    });

    const tasks = taskCountMetrics(props.clusterName, props.serviceName);
    this.tasksBelowDesired = berthAlarm(this, 'TasksBelowDesired', {
      alarmName: names.tasksBelowDesired,
      meaning: `${p} has run fewer tasks than its desired count (set by auto scaling, between minCount and maxCount) for ${t.tasksBelowDesiredMinutes} minutes in a row: tasks crash, fail to start, or do not fit on the cluster even after it scaled out.`,
      firstCheck: `the service's Events tab in the ECS console (cluster ${cluster}, service ${derived.service}) for "unable to place a task" or failing health checks, and the stopped tasks' reasons.`,
      runbook: 'tasks-below-desired',
      metric: new cloudwatch.MathExpression({
        // Running is filled with 0 so a service with no running task at all still counts. The service exists only
        // after the first release (before it there is no series at all), and from then on auto scaling owns its
        // desired count: a scale-out raises it first, and the minutes allow for a new instance to join.
        expression: 'desired - FILL(running, 0)',
        usingMetrics: { desired: tasks.desired, running: tasks.running },
        period: Duration.minutes(1),
        label: 'tasks missing',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: t.tasksBelowDesiredMinutes,
      // No Container Insights data at all means no service yet (never released): not an outage.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      topic,
    });

    if (t.cpuPercent <= cpuTarget) {
      Annotations.of(this).addWarningV2(
        'berth:cpu-alarm-below-scaling-target',
        `The cpu-high alarm of ${p} (alarms.cpuPercent ${t.cpuPercent}) is at or below its scaling target (service.scaling.cpuPercent ${cpuTarget}): scaling holds the service there, so the alarm fires in normal operation. Set alarms.cpuPercent above ${cpuTarget}.`,
      );
    }

    this.pipelineFailed = berthAlarm(this, 'PipelineFailed', {
      alarmName: names.pipelineFailed,
      // A failed release is announced once, by the pipeline-events function's message (stage, commit, link). An
      // alarm notification would repeat it, and its OK five minutes later would claim a recovery that did not
      // happen (it only means no new failure). The alarm keeps its state for the dashboard and `berth status`.
      notify: false,
      meaning: `An execution of the pipeline ${derived.pipeline} failed in the last 5 minutes. It notifies nobody: the pipeline-events function publishes the readable failure message (stage, commit, link) to the alarm topic, and OK here only means no new failure, not a fix.`,
      firstCheck: `the failed stage in CodePipeline (console, Pipelines, ${derived.pipeline}, latest execution) and its CodeBuild log; or: aws codepipeline list-pipeline-executions --pipeline-name ${derived.pipeline} --max-items 1.`,
      runbook: 'pipeline-failed',
      metric: pipelineOutcomeMetrics({ prefix: props.prefix }, { name: p }).failed,
      threshold: t.pipelineFailures,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // The metric exists only when a pipeline ends: no execution is no failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      topic,
    });

    if ((props.rollbackOnAlarm ?? true) && this.target5xx && this.unhealthyHosts) {
      // Names, not tokens: the reference is static and the service never waits on the alarms' attributes. The
      // alarms watch the target group, not the service, so there is no dependency cycle; the service is created
      // after them so ECS never points at an alarm that does not exist yet.
      props.service.enableDeploymentAlarms([names.target5xx, names.unhealthyHosts], {
        behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
      });
      props.service.node.addDependency(this.target5xx, this.unhealthyHosts);
    }
  }
}
