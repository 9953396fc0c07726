/** Types whose CloudFormation schema (as cfn-lint knows it) has no Tags property: tags are never added to them. */
export const UNTAGGABLE = [
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::CloudWatch::Dashboard',
];
