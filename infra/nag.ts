/**
 * cdk-nag acknowledgments that name exactly the finding they cover.
 *
 * cdk-nag 3 reports each wildcard of an IAM policy as its own finding,
 * `AwsSolutions-IAM5[Resource::<flattened ARN>]`, and acknowledges only that
 * exact id. These helpers compute the id from the resource the grant used,
 * so an acknowledgment follows the grant instead of a copied logical ID.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/** The construct to acknowledge on: the principal's own construct (a role, or a state machine's role). */
function principalConstruct(grantee: IGrantable | IConstruct): IConstruct {
  const principal = (grantee as IGrantable).grantPrincipal;
  if (principal !== undefined && Construct.isConstruct(principal))
    return principal;
  if (Construct.isConstruct(grantee)) return grantee;
  throw new Error(
    'cannot acknowledge a finding on a principal that is not a construct',
  );
}

/** cdk-nag's rendering of a resolved CloudFormation value (flattenCfnReference). */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string')
    return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined)
      return flatten(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * Acknowledges AwsSolutions-IAM5 for these wildcard resources (ARNs or
 * tokens, as passed to the policy statement) in `grantee`'s policy.
 */
export function acknowledgeWildcards(
  grantee: IGrantable | IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const scope = principalConstruct(grantee);
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flatten(stack.resolve(resource));
    if (!flat.includes('*')) continue;
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flat}]`,
      reason,
    });
  }
}

/** Acknowledges AwsSolutions-IAM5 for wildcard actions (`kms:GenerateDataKey*`). */
export function acknowledgeWildcardActions(
  grantee: IGrantable | IConstruct,
  actions: readonly string[],
  reason: string,
): void {
  const scope = principalConstruct(grantee);
  for (const action of actions) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason,
    });
  }
}
