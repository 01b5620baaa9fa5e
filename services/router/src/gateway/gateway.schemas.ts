import { z } from 'zod';
import { imageUrlProblem } from './images';

// Request bodies of the OpenAI-compatible routes. Unknown top-level fields are refused (a typo
// like `max_token` must not be silently ignored); every error names its `param`.

const stop = z.union([z.string().max(1_000), z.array(z.string().max(1_000)).max(4)]);
const temperature = z.number().min(0).max(2);
const positiveInt = z.number().int().min(1);

const textPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
const imagePart = z
  .object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).optional() }).strict(),
  })
  .strict()
  .superRefine((part, ctx) => {
    const problem = imageUrlProblem(part.image_url.url);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem, path: ['image_url', 'url'] });
  });
const thinkingPart = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() }).strict();

const toolCall = z
  .object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).strict(),
  })
  .strict();

const system = z.object({ role: z.enum(['system', 'developer']), content: z.union([z.string(), z.array(textPart).min(1)]), name: z.string().optional() }).strict();
const user = z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(z.union([textPart, imagePart])).min(1)]), name: z.string().optional() }).strict();
const assistant = z
  .object({
    role: z.literal('assistant'),
    content: z.union([z.string(), z.array(z.union([textPart, thinkingPart]))]).nullable().default(null),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    refusal: z.string().nullable().optional(),
  })
  .strict();
const tool = z.object({ role: z.literal('tool'), content: z.union([z.string(), z.array(textPart)]), tool_call_id: z.string().min(1) }).strict();

const message = z.discriminatedUnion('role', [system, user, assistant, tool], {
  errorMap: (issue, ctx) =>
    issue.code === z.ZodIssueCode.invalid_union_discriminator
      ? { message: "role must be one of 'system', 'developer', 'user', 'assistant', 'tool'" }
      : { message: ctx.defaultError },
});

const toolDefinition = z
  .object({
    type: z.literal('function'),
    function: z
      .object({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), description: z.string().optional(), parameters: z.record(z.unknown()).optional(), strict: z.boolean().optional() })
      .strict(),
  })
  .strict();

const streamOptions = z.object({ include_usage: z.boolean().optional() }).strict();

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1).max(10_000),
    max_tokens: positiveInt.optional(),
    max_completion_tokens: positiveInt.optional(),
    temperature: temperature.optional(),
    top_p: z.number().min(0).max(1).optional(),
    n: z.number().int().min(1).max(8).optional(),
    stop: stop.optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    seed: z.number().int().optional(),
    user: z.string().max(256).optional(),
    tools: z.array(toolDefinition).max(128).optional(),
    tool_choice: z
      .union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }).strict() }).strict()])
      .optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: z
      .object({ type: z.enum(['text', 'json_object', 'json_schema']), json_schema: z.record(z.unknown()).optional() })
      .strict()
      .optional(),
    stream: z.boolean().optional(),
    stream_options: streamOptions.nullable().optional(),
    reasoning_effort: z.enum(['low', 'medium', 'high']).optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: z.number().int().min(0).max(20).optional(),
    metadata: z.record(z.string()).optional(),
    store: z.boolean().optional(),
  })
  .strict();

export const completionRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    prompt: z.union([z.string(), z.array(z.string()).min(1).max(2_048)]),
    max_tokens: positiveInt.optional(),
    temperature: temperature.optional(),
    top_p: z.number().min(0).max(1).optional(),
    n: z.number().int().min(1).max(8).optional(),
    stop: stop.optional(),
    stream: z.boolean().optional(),
    stream_options: streamOptions.nullable().optional(),
    user: z.string().max(256).optional(),
    seed: z.number().int().optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
  })
  .strict();

export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([
      z.string().min(1),
      z.array(z.string().min(1)).min(1).max(2_048),
      z.array(z.number().int().min(0)).min(1),
      z.array(z.array(z.number().int().min(0)).min(1)).min(1).max(2_048),
    ]),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: positiveInt.optional(),
    user: z.string().max(256).optional(),
  })
  .strict();

export type ChatCompletionBody = z.infer<typeof chatCompletionRequestSchema>;
export type CompletionBody = z.infer<typeof completionRequestSchema>;
export type EmbeddingsBody = z.infer<typeof embeddingsRequestSchema>;
