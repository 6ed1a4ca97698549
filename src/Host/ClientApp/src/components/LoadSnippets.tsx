import { Card, Tabs } from './ui';

/** The folder name the snippets unpack the archive into. */
const FOLDER = 'adapter';

/**
 * How to use the downloaded adapter: with PEFT on top of the base model in transformers, or with this
 * project's own trainer (`lora-train generate`, src/Trainer/README.md), which reads the same files.
 */
export function LoadSnippets({ baseModel, archiveName }: { baseModel: string; archiveName: string }) {
  const localBase = `/models/${baseModel.split('/').pop()}`;
  const python = `# pip install torch transformers peft
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

base_id = "${baseModel}"
tokenizer = AutoTokenizer.from_pretrained(base_id)
base = AutoModelForCausalLM.from_pretrained(base_id, torch_dtype="auto", device_map="auto")
model = PeftModel.from_pretrained(base, "./${FOLDER}")  # the unzipped archive

messages = [{"role": "user", "content": "Hello!"}]
inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt").to(model.device)
output = model.generate(inputs, max_new_tokens=128)
print(tokenizer.decode(output[0][inputs.shape[-1]:], skip_special_tokens=True))`;
  const trainer = `# the base model's checkpoint folder (safetensors + config.json + tokenizer)
./lora-train generate --base ${localBase} --adapter ./${FOLDER} \\
  --prompt "Hello!" --max-new-tokens 128`;
  const unzip = `unzip ${archiveName} -d ${FOLDER}`;
  return (
    <Card title="Use the adapter" description={`Unzip the archive, then load it on top of ${baseModel}.`} testId="load-snippets">
      <pre tabIndex={0} className="snippet" data-testid="snippet-unzip"><code>{unzip}</code></pre>
      <Tabs
        label="How to load the adapter"
        tabs={[
          { id: 'peft', label: 'Python (PEFT)', content: <pre tabIndex={0} className="snippet" data-testid="snippet-peft"><code>{python}</code></pre> },
          { id: 'lora-train', label: 'lora-train', content: <pre tabIndex={0} className="snippet" data-testid="snippet-lora-train"><code>{trainer}</code></pre> },
        ]}
      />
    </Card>
  );
}
