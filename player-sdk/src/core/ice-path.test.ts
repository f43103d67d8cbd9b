import { describe, expect, it } from 'vitest';
import { selectedPath } from './ice-path.js';

const pair = (local: string, remote: string, via: 'transport' | 'nominated' | 'selected') => [
  { id: 'L', type: 'local-candidate', candidateType: local },
  { id: 'R', type: 'remote-candidate', candidateType: remote },
  { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', ...(via === 'nominated' ? { nominated: true, state: 'succeeded' } : via === 'selected' ? { selected: true } : {}) },
  ...(via === 'transport' ? [{ id: 'T', type: 'transport', selectedCandidatePairId: 'P' }] : []),
];

describe('selectedPath', () => {
  it('reads the selected pair through the transport (browsers, node-datachannel) or the pair flags', () => {
    expect(selectedPath(pair('host', 'host', 'transport'))).toBe('host');
    expect(selectedPath(pair('srflx', 'host', 'nominated'))).toBe('srflx');
    expect(selectedPath(pair('host', 'prflx', 'selected'))).toBe('prflx');
  });

  it('calls a pair relayed when either end is a TURN relay candidate', () => {
    expect(selectedPath(pair('relay', 'srflx', 'transport'))).toBe('relay');
    expect(selectedPath(pair('host', 'relay', 'transport'))).toBe('relay');
  });

  it('says nothing without a selected pair', () => {
    expect(selectedPath([])).toBeUndefined();
    expect(selectedPath(pair('host', 'host', 'transport').filter((e) => e.type !== 'transport'))).toBeUndefined();
  });
});
