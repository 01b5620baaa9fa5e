import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('workspace quality gates', () => {
  it('type-checks the whole workspace in strict mode', () => {
    const result = spawnSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: root, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  interface LintResult {
    filePath: string;
    messages: Array<{ line: number; ruleId: string | null; message: string }>;
  }

  /** ESLint runs as its own process: its config loader needs native dynamic import, which Jest's VM lacks. */
  function eslint(args: string[], stdin?: string): LintResult[] {
    const result = spawnSync(bin('eslint'), ['--format', 'json', ...args], {
      cwd: root,
      encoding: 'utf8',
      input: stdin,
      env: { ...process.env, NX_DAEMON: 'false' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(result.stdout) as LintResult[];
  }

  it('lints clean, module boundaries included', () => {
    const problems = eslint(['libs', 'services', 'tools', 'test']).flatMap((r) =>
      r.messages.map((m) => `${relative(root, r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`),
    );
    expect(problems).toEqual([]);
  });

  it.each([
    ['a service importing another service', 'services/router/src/boundary-probe.ts', "import { AUTH_SERVICE } from '@vectorstack/service-auth';\nexport const leak = AUTH_SERVICE;\n"],
    ['a lib importing a service', 'libs/http/src/boundary-probe.ts', "import '../../../services/auth/src/service.definition';\n"],
    ['production code importing the testing lib', 'libs/http/src/boundary-probe.ts', "import { testInfra } from '@vectorstack/testing';\nexport const leak = testInfra;\n"],
  ])('refuses %s', (_case, file, source) => {
    const [result] = eslint(['--stdin', '--stdin-filename', file], source);
    expect(result.messages.map((m) => m.ruleId)).toContain('@nx/enforce-module-boundaries');
  });
});

describe('proto contracts', () => {
  it('pass buf lint', () => {
    const result = spawnSync(bin('buf'), ['lint', 'proto'], { cwd: root, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('match the committed generated TypeScript byte for byte', () => {
    const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
    try {
      execFileSync(process.execPath, [join(root, 'tools/proto-gen.mjs'), '--out', out], { cwd: root, stdio: 'pipe' });
      const committedDir = join(root, 'libs/contracts/src/gen');
      const fresh = filesUnder(join(out, 'gen')).map((f) => relative(join(out, 'gen'), f)).sort();
      const committed = filesUnder(committedDir).map((f) => relative(committedDir, f)).sort();
      expect(committed).toEqual(fresh);
      for (const file of fresh) {
        expect({ file, content: readFileSync(join(committedDir, file), 'utf8') }).toEqual({
          file,
          content: readFileSync(join(out, 'gen', file), 'utf8'),
        });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
