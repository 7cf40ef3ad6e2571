// The Google Cloud side of the agreement test (tests/agreement.rs):
// evaluates the IAM Conditions of nhi's conditional role bindings with
// @marcbachmann/cel-js, a Common Expression Language evaluator nhi shares
// no code with, over the resource a request names — as Google Cloud
// evaluates a binding's condition against `resource.type`,
// `resource.service` and `resource.name`, and the time of the request,
// `request.time`.
//
// stdin:  [{"expression": CEL, "resource": {"type": T, "service": S,
//          "name": N}, "time": "2026-11-22T12:00:00Z"}]
// stdout: [true | false], one per request: whether the condition holds.
//          An expression the evaluator cannot parse, or one that does not
//          give a boolean, fails the run: Google would refuse the binding.

import { evaluate } from '@marcbachmann/cel-js'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const asks = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const out = asks.map(({ expression, resource, time }) => {
  const holds = evaluate(expression, { resource, request: { time: new Date(time) } })
  if (typeof holds !== 'boolean') {
    throw new Error(`${expression} gives ${typeof holds}, not a boolean`)
  }
  return holds
})
process.stdout.write(JSON.stringify(out))
