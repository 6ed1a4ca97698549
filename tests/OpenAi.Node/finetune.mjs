// The official `openai` npm package, unchanged, driving LoraPipeline's /v1: only the base URL and the key
// differ from a call to OpenAI. Run by tests/OpenAi.Tests (when_the_node_sdk_drives_the_platform) against the
// Host as a process; by hand: OPENAI_BASE_URL=http://localhost:5080/v1 OPENAI_API_KEY=lp_... OPENAI_OTHER_KEY=lp_... node finetune.mjs
import OpenAI, { toFile, BadRequestError, NotFoundError } from 'openai';

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });
const stranger = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_OTHER_KEY });
const checks = [];

function check(name, ok, detail = '') {
  checks.push({ name, ok: Boolean(ok) });
  console.log(`${ok ? 'ok' : 'FAILED'} - ${name}${detail ? ` (${detail})` : ''}`);
}

/** Asks again every 200 ms until `done` holds, as a client of a remote service does; gives up after `seconds`. */
async function until(what, read, done, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function rejects(call, type) {
  try {
    await call();
    return null;
  } catch (error) {
    return error instanceof type ? error : (() => { throw error; })();
  }
}

const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({
  messages: [
    { role: 'system', content: 'You are a helpful support agent.' },
    { role: 'user', content: `Question ${i}: how do I reset my password?` },
    { role: 'assistant', content: `Answer ${i}: open Settings, then Security, then Reset.`, weight: 1 },
  ],
}));
const uploaded = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'support.jsonl'), purpose: 'fine-tune' });
const file = await until('the file to be processed', () => client.files.retrieve(uploaded.id), (f) => f.status !== 'uploaded');
check('upload is processed', file.status === 'processed', file.status);

const run = `run-${Date.now()}`;
const job = await client.fineTuning.jobs.create({
  model: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0',
  training_file: file.id,
  suffix: 'node-check',
  seed: 7,
  metadata: { run },
  method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 'auto' } } },
});
check('create answers a job', job.id.startsWith('ftjob-') && job.metadata.run === run, job.status);

const others = [];
for (let i = 0; i < 2; i++) {
  // LoraPipeline's extra fields ride along in the body, as any SDK sends unknown parameters
  others.push(await client.fineTuning.jobs.create({
    model: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0', training_file: file.id, hyperparameters: { n_epochs: 10 }, lora_rank: 32, num_gpus: 2,
  }));
}
check('LoRA and GPU extras are applied', others[0].lora.rank === 32 && others[0].gpu.count === 2 && others[0].hyperparameters.n_epochs === 10);

const listed = [];
for await (const each of client.fineTuning.jobs.list({ limit: 2 })) listed.push(each.id);
check('auto-pagination lists every job across pages', [job, ...others].every((j) => listed.includes(j.id)) && listed.length === 3, `${listed.length} jobs`);

const filtered = [];
for await (const each of client.fineTuning.jobs.list({ metadata: { run } })) filtered.push(each.id);
check('the metadata filter keeps only the matching job', filtered.length === 1 && filtered[0] === job.id);

// pause needs a running job the cluster has reported on: ask until it is accepted
const long = others[0];
const paused = await until('the job to pause',
  () => client.fineTuning.jobs.pause(long.id).catch((e) => (e instanceof BadRequestError ? { status: 'not yet', message: e.message } : Promise.reject(e))),
  (j) => j.status === 'paused');
check('pause', paused.status === 'paused');
const resumed = await client.fineTuning.jobs.resume(long.id);
check('resume', resumed.status === 'running', resumed.status);

const cancelled = await client.fineTuning.jobs.cancel(others[1].id);
check('cancel', cancelled.status === 'cancelled', cancelled.status);
const started = Date.now();
const again = await rejects(() => client.fineTuning.jobs.cancel(others[1].id), BadRequestError);
// a 400, which the SDK never retries (it retries 409, 429 and 5xx)
check('cancelling again is a BadRequestError (not retried)', again?.status === 400 && again.code === 'invalid_job_status', `${Date.now() - started} ms`);
await client.fineTuning.jobs.cancel(long.id);

const done = await until('the job to succeed', () => client.fineTuning.jobs.retrieve(job.id), (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status), 180);
check('retrieve until succeeded', done.status === 'succeeded' && done.fine_tuned_model?.startsWith('ft:'), `${done.status} ${done.fine_tuned_model}`);

const events = [];
for await (const event of client.fineTuning.jobs.listEvents(job.id, { limit: 5 })) events.push(event);
check('events across pages, with metrics', events.length > 5 && events.some((e) => e.type === 'metrics' && e.data.train_loss !== undefined));
for (const event of [...events].reverse().filter((e) => e.type === 'message')) console.log(`  event: ${event.message}`);

const checkpoints = [];
for await (const checkpoint of client.fineTuning.jobs.checkpoints.list(job.id)) checkpoints.push(checkpoint);
check('checkpoints with step metrics and their model name', checkpoints.length > 0
  && checkpoints.every((c) => c.fine_tuned_model_checkpoint.startsWith(`${done.fine_tuned_model}:ckpt-step-`) && c.metrics.step === c.step_number));

check('a missing file is a NotFoundError', await rejects(() => client.fineTuning.jobs.create({
  model: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0', training_file: `file-${'0'.repeat(32)}` }), NotFoundError));
const bad = await rejects(() => client.fineTuning.jobs.create({
  model: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0', training_file: file.id, hyperparameters: { n_epochs: 99 } }), BadRequestError);
check('a bad hyperparameter is a BadRequestError naming it', bad?.param === 'hyperparameters.n_epochs', bad?.param);
check("another user's job is a NotFoundError", await rejects(() => stranger.fineTuning.jobs.retrieve(job.id), NotFoundError));

const failed = checks.filter((c) => !c.ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
