import * as fc from 'fast-check';
import { ObjectFact, withObjectFacts } from '../../src/policy/evaluation-scope';

/**
 * ObjectFact answers the object asked last without a lookup. The reference is the model of what it
 * promises: inside an evaluation, a fact is computed once per object and the same value returned
 * after; a nested evaluation computes its own and, when it ends, the outer one's are answered again;
 * outside any evaluation every ask computes. Random sequences of asks (the same object many times in
 * a row, as the rules of a pack ask) over two facts, one of which asks the other while it computes.
 */
type Op = { op: 'ask'; fact: 0 | 1; object: number } | { op: 'enter' } | { op: 'leave' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant('ask' as const), fact: fc.constantFrom(0 as const, 1 as const), object: fc.integer({ min: 0, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'enter' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'leave' as const }) },
);

describe('ObjectFact (the last object asked answered without a lookup)', () => {
  test('returns what the model of a fact promises, for any sequence of asks and nested evaluations', () => {
    const repeatsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 80, maxLength: 80 });
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), repeatsArb, (ops, repeats) => {
      const pool = [{ a: 1 }, { b: 2 }, [3], { c: { d: 4 } }];
      let serial = 0;
      const computed: Array<{ fact: number; object: object; serial: number }> = [];
      // the model: one table per fact for each open evaluation (innermost last)
      const levels: Array<Array<Map<object, unknown>>> = [];
      const facts: Array<ObjectFact<{ serial: number }>> = [];
      const ask = (fact: 0 | 1, object: object) => {
        const before = serial;
        const value = facts[fact].of(object);
        const level = levels[levels.length - 1];
        if (level === undefined) {
          // outside an evaluation: computed for this ask
          expect(value.serial).toBeGreaterThan(before);
        } else if (level[fact].has(object)) {
          expect(value).toBe(level[fact].get(object));
        } else {
          expect(value.serial).toBeGreaterThan(before);
          level[fact].set(object, value);
        }
      };
      facts.push(new ObjectFact((object: object) => {
        computed.push({ fact: 0, object, serial: ++serial });
        return { serial };
      }));
      facts.push(new ObjectFact((object: object) => {
        // asks the other fact (for another object) while it computes
        ask(0, pool[(pool.indexOf(object as any) + 1) % pool.length]);
        computed.push({ fact: 1, object, serial: ++serial });
        return { serial };
      }));
      const run = (from: number): number => {
        let i = from;
        for (; i < ops.length; i++) {
          const o = ops[i];
          if (o.op === 'ask') {
            for (let r = 0; r < repeats[i]; r++) ask(o.fact, pool[o.object]);
          } else if (o.op === 'enter') {
            levels.push([new Map(), new Map()]);
            i = withObjectFacts(() => run(i + 1));
            levels.pop();
          } else if (levels.length > 0) {
            return i;
          }
        }
        return i;
      };
      run(0);
      expect(computed.length).toBe(serial);
    }), { numRuns: 1500 });
  });
});
