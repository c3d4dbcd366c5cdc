// Names of web ACL rules that constructs outside src/aws/edge/ address by name. The rule set
// (src/aws/edge/waf-acl-rules.ts) takes the names from here; a test also checks that every
// synthesized web ACL has a rate-based rule of this name.

/** The per-IP rate-based rule: the capacity schedule sets its limit (scaling.schedule[].rateLimit). */
export const RATE_LIMIT_RULE_NAME = 'RateLimitPerIp';
