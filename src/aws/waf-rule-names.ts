// Names of web ACL rules that constructs outside src/aws/edge/ address by name. The rule set itself
// is src/aws/edge/waf-rules.ts, which should take the names from here; until it does, a test checks
// that every synthesized web ACL has a rate-based rule of this name, so a rename cannot go unnoticed.

/** The per-IP rate-based rule: the capacity schedule sets its limit (scaling.schedule[].rateLimit). */
export const RATE_LIMIT_RULE_NAME = 'RateLimitPerIp';
