// Resolves CloudFormation intrinsic functions in a synthesized template the way a deploy would,
// with stand-in values for what only AWS knows (endpoints, ARNs, bucket names). A reference the
// twin has no stand-in for fails loudly: a template change the twin does not understand must not
// pass silently.

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Default?: Json }>;
}

export interface Pseudo {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  /** @default "aws" */
  readonly partition?: string;
}

/** What stands in for a resource: its Ref, and its Fn::GetAtt attributes. */
export interface StandIn {
  readonly ref?: string;
  readonly attributes?: Record<string, string>;
}

/** Gives the stand-in for a resource, or undefined when the twin has none. */
export type StandInLookup = (logicalId: string, resource: TemplateResource) => StandIn | undefined;

export class Intrinsics {
  constructor(
    private readonly template: Template,
    private readonly pseudo: Pseudo,
    private readonly lookup: StandInLookup,
  ) {}

  /** The value with every intrinsic function resolved. */
  resolve(value: unknown, where = 'value'): any {
    if (Array.isArray(value)) return value.map((v, i) => this.resolve(v, `${where}[${i}]`));
    if (value === null || typeof value !== 'object') return typeof value === 'string' ? this.dynamicReferences(value, where) : value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return this.fn(keys[0]!, (value as Record<string, unknown>)[keys[0]!], where);
    return Object.fromEntries(keys.map((k) => [k, this.resolve((value as Record<string, unknown>)[k], `${where}.${k}`)]));
  }

  /** A resolved value that must be a string. */
  string(value: unknown, where: string): string {
    const v = this.resolve(value, where);
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${where}: resolves to ${JSON.stringify(v)}, not a string`);
    return String(v);
  }

  private fn(name: string, arg: any, where: string): any {
    switch (name) {
      case 'Ref':
        return this.ref(String(arg), where);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
        return this.getAtt(String(id), String(attr), where);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts, where) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Select': {
        const [i, list] = arg as [unknown, unknown];
        const items = this.resolve(list, where) as unknown[];
        return items[Number(this.resolve(i, where))];
      }
      case 'Fn::Split': {
        const [sep, s] = arg as [string, unknown];
        return String(this.resolve(s, where)).split(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!]+)\}/g, (_, expr: string) => {
          if (expr in vars) return String(this.resolve(vars[expr], where));
          const [id, attr] = expr.split(/\.(.+)/);
          return String(attr ? this.getAtt(id!, attr, where) : this.ref(id!, where));
        });
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${this.pseudo.region}${z}`);
      // Fn::If, Fn::ImportValue, Fn::FindInMap, Fn::Base64, Fn::Cidr: not resolved (the stacks do not use them).
      default:
        throw new Error(`${where}: the ECS twin does not resolve ${name} (${JSON.stringify(arg).slice(0, 120)})`);
    }
  }

  private ref(id: string, where: string): string {
    const p = this.pseudo;
    const pseudo: Record<string, string> = {
      'AWS::Region': p.region,
      'AWS::AccountId': p.account,
      'AWS::StackName': p.stackName,
      'AWS::Partition': p.partition ?? 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': '',
    };
    if (id in pseudo) return pseudo[id]!;
    const param = this.template.Parameters?.[id];
    if (param) {
      if (param.Default === undefined) throw new Error(`${where}: parameter ${id} has no default`);
      return String(param.Default);
    }
    const s = this.standIn(id, where);
    if (s.ref === undefined) throw new Error(`${where}: the ECS twin has no stand-in for Ref ${id} (${this.template.Resources[id]!.Type})`);
    return s.ref;
  }

  private getAtt(id: string, attr: string, where: string): string {
    const s = this.standIn(id, where);
    const v = s.attributes?.[attr];
    if (v === undefined) throw new Error(`${where}: the ECS twin has no stand-in for Fn::GetAtt ${id}.${attr} (${this.template.Resources[id]!.Type})`);
    return v;
  }

  private standIn(id: string, where: string): StandIn {
    const r = this.template.Resources[id];
    if (!r) throw new Error(`${where}: ${id} is not a resource of the template`);
    const s = this.lookup(id, r);
    if (!s) throw new Error(`${where}: the ECS twin has no stand-in for ${id} (${r.Type})`);
    return s;
  }

  /** {{resolve:secretsmanager:…}} in plain strings would be resolved by CloudFormation: the twin refuses them in task settings. */
  private dynamicReferences(s: string, where: string): string {
    if (/\{\{resolve:/.test(s)) throw new Error(`${where}: a dynamic reference (${s.slice(0, 60)}…) would put a secret's value into the task definition`);
    return s;
  }
}
