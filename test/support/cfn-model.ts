/**
 * A small model of what CloudFormation does with a synthesized template, enough to replay stack operations on a
 * project stack and watch the ECS service they produce:
 *
 * - parameters: a given value, else (on update) the previous value when the caller asks for it (the CDK CLI and
 *   Berth's Deploy stage both send UsePreviousValue for parameters they do not set), else the Default;
 * - conditions: Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition references, evaluated on those values; a
 *   resource whose condition is false does not exist;
 * - properties: Ref to a parameter, Fn::If, AWS::NoValue (the property is left out) and Fn::Join/Fn::Sub on what
 *   resolves; anything else stays an opaque token;
 * - an update that fails rolls back to the previous template and parameter values (CloudFormation User Guide,
 *   "Stack failure options": the stack returns to its last known stable state).
 *
 * The ECS side follows the AWS::ECS::Service and Application Auto Scaling documentation: a created service
 * starts DesiredCount tasks (1 when the property is absent); an update sets DesiredCount only when the template
 * has it; a scalable target clamps the desired count into [MinCapacity, MaxCapacity] when it is registered.
 */

type Json = unknown;
export interface CfnTemplate {
  readonly Parameters?: Record<string, { Type: string; Default?: string; AllowedPattern?: string }>;
  readonly Conditions?: Record<string, Json>;
  readonly Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, Json> }>;
}

const NO_VALUE = Symbol('AWS::NoValue');

export class Evaluation {
  readonly conditions = new Map<string, boolean>();

  constructor(
    readonly template: CfnTemplate,
    readonly parameters: Readonly<Record<string, string>>,
  ) {
    for (const name of Object.keys(template.Conditions ?? {})) this.condition(name);
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expr = this.template.Conditions?.[name];
    if (expr === undefined) throw new Error(`no condition ${name}`);
    const value = this.evalCondition(expr);
    this.conditions.set(name, value);
    return value;
  }

  private evalCondition(expr: Json): boolean {
    const [fn, arg] = Object.entries(expr as Record<string, Json>)[0];
    switch (fn) {
      case 'Fn::Equals': {
        const [a, b] = arg as [Json, Json];
        return this.resolve(a) === this.resolve(b);
      }
      case 'Fn::Not':
        return !this.evalCondition((arg as Json[])[0]);
      case 'Fn::And':
        return (arg as Json[]).every((e) => this.evalCondition(e));
      case 'Fn::Or':
        return (arg as Json[]).some((e) => this.evalCondition(e));
      case 'Condition':
        return this.condition(arg as string);
      default:
        throw new Error(`condition function ${fn} is not modelled`);
    }
  }

  /** Resolves what the model knows; opaque intrinsics become `<Fn:...>` strings. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, Json>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      const [fn, arg] = entries[0];
      if (fn === 'Ref') {
        if (arg === 'AWS::NoValue') return NO_VALUE;
        if (typeof arg === 'string' && this.template.Parameters?.[arg]) return this.parameters[arg];
        return `<Ref:${String(arg)}>`;
      }
      if (fn === 'Fn::If') {
        const [cond, yes, no] = arg as [string, Json, Json];
        return this.resolve(this.condition(cond) ? yes : no);
      }
      if (fn === 'Fn::Join') {
        const [sep, parts] = arg as [string, Json[]];
        return (this.resolve(parts) as Json[])
          .map((p) => (typeof p === 'string' ? p : JSON.stringify(p)))
          .join(sep);
      }
      return `<${fn}:${JSON.stringify(arg)}>`;
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of entries) {
      const r = this.resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  /** The resources that exist under these parameters, with resolved properties. */
  resources(): Record<string, { Type: string; Properties: Record<string, Json> }> {
    const out: Record<string, { Type: string; Properties: Record<string, Json> }> = {};
    for (const [id, r] of Object.entries(this.template.Resources)) {
      if (r.Condition !== undefined && !this.condition(r.Condition)) continue;
      out[id] = {
        Type: r.Type,
        Properties: (this.resolve(r.Properties ?? {}) as Record<string, Json>) ?? {},
      };
    }
    return out;
  }
}

/** How a caller passes one parameter: a value, or "use the previous value". */
export type ParameterInput = string | { readonly usePrevious: true };

export interface StackState {
  readonly template: CfnTemplate;
  readonly parameters: Readonly<Record<string, string>>;
}

/** The ECS service's observable state. */
export interface ServiceState {
  readonly exists: boolean;
  /** Image of the task definition the service runs. */
  readonly image?: string;
  readonly desired?: number;
  readonly min?: number;
  readonly max?: number;
  /** The force-new-deployment nonce the service last saw. */
  readonly nonce?: string;
}

function parameterValues(
  template: CfnTemplate,
  input: Readonly<Record<string, ParameterInput>>,
  previous: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) {
    const given = input[name];
    let value: string | undefined;
    if (typeof given === 'string') value = given;
    else if (given?.usePrevious) {
      if (previous?.[name] === undefined) throw new Error(`UsePreviousValue for ${name}, which has none`);
      value = previous[name];
    } else value = p.Default;
    if (value === undefined) throw new Error(`parameter ${name} has no value`);
    if (p.AllowedPattern && !new RegExp(p.AllowedPattern).test(value)) {
      throw new Error(`parameter ${name}=${value} does not match ${p.AllowedPattern}`);
    }
    values[name] = value;
  }
  return values;
}

/** The CDK CLI's parameters for a deploy: UsePreviousValue for every existing parameter it is not given. */
export function cdkDeployParameters(
  template: CfnTemplate,
  previous: StackState | undefined,
  given: Readonly<Record<string, string>> = {},
): Record<string, ParameterInput> {
  const out: Record<string, ParameterInput> = {};
  for (const name of Object.keys(template.Parameters ?? {})) {
    if (given[name] !== undefined) out[name] = given[name];
    else if (previous && previous.parameters[name] !== undefined) out[name] = { usePrevious: true };
  }
  return out;
}

/** A project stack and the ECS service it drives, operation by operation. */
export class StackSimulation {
  private current: StackState | undefined;
  private ecs: ServiceState = { exists: false };
  readonly history: { op: string; service: ServiceState; parameters: Record<string, string> }[] = [];

  get state(): StackState {
    if (!this.current) throw new Error('no stack yet');
    return this.current;
  }

  get service(): ServiceState {
    return this.ecs;
  }

  /** CreateStack, or UpdateStack on an existing stack; `fail` makes the update fail and roll back. */
  deploy(
    op: string,
    template: CfnTemplate,
    input: Readonly<Record<string, ParameterInput>>,
    options: { fail?: boolean } = {},
  ): void {
    const next: StackState = {
      template,
      parameters: parameterValues(template, input, this.current?.parameters),
    };
    const before = this.ecs;
    this.ecs = this.apply(this.current, next, this.ecs);
    if (options.fail) {
      // The failed update is rolled back: CloudFormation applies the previous template and parameter values.
      if (!this.current) throw new Error('a failed create leaves no stack; not modelled');
      this.ecs = this.apply(next, this.current, this.ecs);
    } else this.current = next;
    void before;
    this.history.push({ op, service: this.ecs, parameters: { ...this.state.parameters } });
  }

  /** The Deploy stage: UpdateStack with the previous template, one new value, every other parameter as before. */
  release(op: string, values: Readonly<Record<string, string>>, options: { fail?: boolean } = {}): void {
    const template = this.state.template;
    const input: Record<string, ParameterInput> = {};
    for (const name of Object.keys(template.Parameters ?? {})) {
      input[name] = values[name] ?? { usePrevious: true };
    }
    this.deploy(op, template, input, options);
  }

  private apply(from: StackState | undefined, to: StackState, ecs: ServiceState): ServiceState {
    const before = from ? new Evaluation(from.template, from.parameters).resources() : {};
    const after = new Evaluation(to.template, to.parameters).resources();
    const find = (res: typeof after, type: string) =>
      Object.entries(res).find(([, r]) => r.Type === type) as
        [string, { Type: string; Properties: Record<string, Json> }] | undefined;
    const service = find(after, 'AWS::ECS::Service');
    const hadService = find(before, 'AWS::ECS::Service');
    if (!service) return { exists: false };
    const td = after[(service[1].Properties.TaskDefinition as string).replace(/^<Ref:|>$/g, '')];
    const image = (td?.Properties.ContainerDefinitions as { Image: string }[] | undefined)?.[0]?.Image;
    const props = service[1].Properties;
    const desiredInTemplate = props.DesiredCount as number | undefined;
    const nonce = (props.ForceNewDeployment as { ForceNewDeploymentNonce?: string } | undefined)
      ?.ForceNewDeploymentNonce;
    let desired: number;
    if (!hadService || !ecs.exists) desired = desiredInTemplate ?? 1;
    else desired = desiredInTemplate ?? ecs.desired ?? 1;
    const target = find(after, 'AWS::ApplicationAutoScaling::ScalableTarget');
    let min: number | undefined;
    let max: number | undefined;
    if (target) {
      min = target[1].Properties.MinCapacity as number;
      max = target[1].Properties.MaxCapacity as number;
      desired = Math.min(Math.max(desired, min), max);
    }
    return { exists: true, image, desired, min, max, nonce };
  }
}

/** The tag of an image reference `...:<tag>`. */
export function imageTag(image: string | undefined): string | undefined {
  return image?.slice(image.lastIndexOf(':') + 1);
}
