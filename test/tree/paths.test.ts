import { describe, expect, it } from 'vitest';
import {
  basenameOf,
  childPath,
  isValidPath,
  parentOf,
  pathProblem,
  sequenceSuffix,
} from '../../tree/paths.js';

describe('validatePath (PathUtils rules)', () => {
  it.each([
    ['/', true],
    ['/a', true],
    ['/a/b/c', true],
    ['/a.b', true],
    ['/...', true],
    ['/a/..b', true],
    ['/.a', true],
    ['/zookeeper', true],
    ['/ünïcödé', true],
    ['', false],
    ['a', false],
    ['a/b', false],
    ['/a/', false],
    ['//', false],
    ['/a//b', false],
    ['/.', false],
    ['/..', false],
    ['/a/./b', false],
    ['/a/../b', false],
    ['/a/.', false],
    ['/a\u0000b', false],
    ['/a\u0001', false],
    ['/a\u001f', false],
    ['/a\u007f', false],
    ['/a\u009f', false],
    ['/a\u00a0', true],
    ['/a\ud800', false],
    ['/a\ue000', false],
    ['/a\uf8ff', false],
    ['/a\uf900', true],
    ['/a\ufff0', false],
    ['/a\uffff', false],
    ['/emoji\u{1f600}', false],
  ])('isValidPath(%j) is %s', (path, valid) => {
    expect(isValidPath(path)).toBe(valid);
  });

  it.each([
    ['/a/', true],
    ['/a/b-', true],
    ['/', true],
    ['/a//', false],
    ['a/', false],
  ])('sequential isValidPath(%j) is %s (validated as path + "1")', (path, valid) => {
    expect(isValidPath(path, true)).toBe(valid);
  });

  it('names the reason like ZooKeeper does', () => {
    expect(pathProblem('/a//b')).toBe('empty node name specified @3');
    expect(pathProblem('/a/../b')).toBe('relative paths not allowed @4');
    expect(pathProblem('x')).toBe('path must start with / character');
  });
});

describe('path helpers', () => {
  it.each([
    ['/a', '/', 'a'],
    ['/a/b', '/a', 'b'],
    ['/a/b/c', '/a/b', 'c'],
    ['/', '/', ''],
  ])('parentOf(%j) = %j, basenameOf = %j', (path, parent, base) => {
    expect(parentOf(path)).toBe(parent);
    expect(basenameOf(path)).toBe(base);
  });

  it.each([
    ['/', 'a', '/a'],
    ['/a', 'b', '/a/b'],
  ])('childPath(%j, %j) = %j', (parent, name, path) => {
    expect(childPath(parent, name)).toBe(path);
  });

  it.each([
    [0, '0000000000'],
    [7, '0000000007'],
    [2147483647, '2147483647'],
    [-1, '-000000001'],
    [-2147483648, '-2147483648'],
  ])('sequenceSuffix(%i) = %j (Java %%010d)', (counter, suffix) => {
    expect(sequenceSuffix(counter)).toBe(suffix);
  });
});
