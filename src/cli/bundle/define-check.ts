/**
 * Which `define` entries esbuild refuses, and why, in words that name the entry: esbuild's own error names neither
 * the key nor where it was given. Each entry is tried alone, so the check is esbuild's rule exactly.
 */
export interface RefusedDefine {
  key: string;
  message: string;
}

export async function refusedDefines(define: Record<string, string>): Promise<RefusedDefine[]> {
  const esbuild = await import("esbuild");
  const refused: RefusedDefine[] = [];
  for (const [key, value] of Object.entries(define)) {
    // The key alone first (with a value esbuild always takes), so a bad key is not blamed on its value.
    const keyProblem = await refusal(esbuild, key, "0");
    const valueProblem = keyProblem === undefined ? await refusal(esbuild, key, value) : undefined;
    if (keyProblem !== undefined) refused.push({ key, message: badKey(key, keyProblem) });
    else if (valueProblem !== undefined) refused.push({ key, message: badValue(value, valueProblem) });
  }
  return refused;
}

/** esbuild's reason for refusing `key` → `value`, or undefined when it takes it. */
async function refusal(esbuild: typeof import("esbuild"), key: string, value: string): Promise<string | undefined> {
  try {
    await esbuild.transform("", { define: { [key]: value }, logLevel: "silent" });
    return undefined;
  } catch (error) {
    return (error as { errors?: Array<{ text: string }> }).errors?.[0]?.text ?? String(error);
  }
}

const badKey = (key: string, reason: string) =>
  `esbuild cannot replace the name ${JSON.stringify(key)} (${reason}): use an identifier or a dotted name like process.env.MODE`;

const badValue = (value: string, reason: string) =>
  `esbuild cannot put ${JSON.stringify(value)} in the code: ${reason}. A define's value is a JSON value (42, true, ` +
  `"\\"text\\"" for a string) or a name like process.env.MODE`;
