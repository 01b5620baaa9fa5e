import { deleteProblem, upsertProblem } from './catalog-rules';

const others = [
  { id: 'gpt-4o', aliases: ['gpt4o', 'openai/gpt-4o'], fallbacks: [] },
  { id: 'vectorstack-1', aliases: ['vs-1'], fallbacks: ['gpt-4o'] },
];

describe('catalog rules', () => {
  it('accepts new names and fallbacks that name existing ids', () => {
    expect(upsertProblem({ id: 'new', aliases: ['n'], fallbacks: ['gpt-4o', 'vectorstack-1'] }, others)).toBeUndefined();
  });

  it('keeps ids and aliases in one namespace', () => {
    expect(upsertProblem({ id: 'gpt-4o', aliases: [], fallbacks: [] }, others)).toMatchObject({ code: 'model_exists', param: 'id' });
    expect(upsertProblem({ id: 'vs-1', aliases: [], fallbacks: [] }, others)).toMatchObject({ code: 'alias_taken', param: 'id' });
    expect(upsertProblem({ id: 'new', aliases: ['x', 'gpt4o'], fallbacks: [] }, others)).toMatchObject({ code: 'alias_taken', param: 'aliases[1]' });
    expect(upsertProblem({ id: 'new', aliases: ['vectorstack-1'], fallbacks: [] }, others)).toMatchObject({
      code: 'alias_taken',
      param: 'aliases[0]',
      message: "'vectorstack-1' is already the id of a model.",
    });
  });

  it('refuses fallbacks to unknown models, and explains an alias given as a fallback', () => {
    expect(upsertProblem({ id: 'new', aliases: [], fallbacks: ['gpt-4o', 'nope'] }, others)).toMatchObject({ code: 'unknown_fallback', param: 'fallbacks[1]' });
    expect(upsertProblem({ id: 'new', aliases: [], fallbacks: ['vs-1'] }, others)?.message).toMatch(/alias of 'vectorstack-1'/);
  });

  it('refuses to delete a model others fall back to', () => {
    expect(deleteProblem('gpt-4o', others)).toMatchObject({ code: 'model_in_use' });
    expect(deleteProblem('vectorstack-1', others)).toBeUndefined();
  });
});
