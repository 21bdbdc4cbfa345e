// The restore wizard's pure rules, on their own: a plugin's JSON schema as form fields (simple shapes
// get their control, the rest a JSON field), the values back as the API's parameters (empty means not
// sent), and which targets each kind of checkpoint offers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldsOf, initialValues, optionValue, parametersOf } from '../../web/src/schema-fields.ts';
import { DECIDED_BY_TARGET, hostsFor, suggestedName, targetsFor, type RestoreHost } from '../../web/src/restore-targets.ts';

const schema = {
  type: 'object', required: ['path', 'count'],
  properties: {
    path: { type: 'string' },
    label: { type: 'string', description: 'a label' },
    count: { type: 'integer', minimum: 1, maximum: 8 },
    ratio: { type: 'number' },
    sparse: { type: 'boolean', default: true },
    inPlace: { type: 'boolean' },
    format: { enum: ['raw', 'qcow2'], default: 'qcow2' },
    level: { enum: [1, '1', true] },
    include: { type: 'array', items: { type: 'string' } },
    extra: { type: 'object' },
    either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
  },
};

test('a schema\'s properties become fields, less those the target decides; unknown shapes are JSON', () => {
  const fields = fieldsOf(schema, DECIDED_BY_TARGET);
  assert.deepEqual(fields.map((f) => [f.name, f.kind, f.required]), [
    ['label', 'string', false], ['count', 'number', true], ['ratio', 'number', false], ['sparse', 'boolean', false],
    ['format', 'enum', false], ['level', 'enum', false], ['include', 'json', false], ['extra', 'json', false], ['either', 'json', false],
  ]);
  assert.equal(fields[0]!.description, 'a label');
  assert.equal(fieldsOf({ type: 'object' }).length, 0, 'no properties, no fields');
  assert.equal(fieldsOf({ properties: { inPlace: { type: 'boolean' } } })[0]!.label, 'In place');
});

test('values become parameters: empty is not sent, a checkbox only when it differs from its default, typos are caught', () => {
  const fields = fieldsOf(schema, DECIDED_BY_TARGET);
  const start = initialValues(fields);
  assert.deepEqual(parametersOf(fields, start), { parameters: {}, errors: { count: 'Required.' } });
  const good = parametersOf(fields, {
    ...start, label: '  x ', count: '3', ratio: '0.5', sparse: false, format: optionValue('raw'), level: optionValue('1'), include: '["docs", "etc"]', extra: '{"a": 1}', either: '7',
  });
  assert.deepEqual(good, { errors: {}, parameters: { label: 'x', count: 3, ratio: 0.5, sparse: false, format: 'raw', level: '1', include: ['docs', 'etc'], extra: { a: 1 }, either: 7 } });
  const bad = parametersOf(fields, { ...start, count: '2.5', ratio: 'many', format: '"vmdk"', include: '{"a": 1}', extra: '[1]', either: '{' });
  assert.deepEqual(bad.errors, {
    count: 'A whole number.', ratio: 'A number.', format: 'Choose one of the options.',
    include: 'A JSON array, such as ["a", "b"].', extra: 'A JSON object, such as {"key": "value"}.', either: 'Not valid JSON.',
  });
  assert.deepEqual(parametersOf(fields, { ...start, count: '9' }).errors, { count: 'At most 8.' });
  assert.deepEqual(parametersOf(fields, { ...start, count: '0' }).errors, { count: 'At least 1.' });
});

test('targets by checkpoint type, and the name suggested for a new one', () => {
  assert.deepEqual(targetsFor('volume').map((t) => t.mode), ['new', 'in-place']);
  assert.deepEqual(targetsFor('files').map((t) => t.label), ['A new directory', 'In place']);
  assert.deepEqual(targetsFor('server').map((t) => t.mode), ['new', 'in-place', 'recreate']);
  assert.equal(suggestedName('web.qcow2'), 'web-restored.qcow2');
  assert.equal(suggestedName('home'), 'home-restored');
  assert.equal(suggestedName(undefined), '');
});

test('another site is offered when a host elsewhere may take the restore; each target offers its own hosts', () => {
  assert.deepEqual(targetsFor('server', true).map((t) => t.mode), ['new', 'site', 'in-place', 'recreate']);
  const bank = { id: 'b', name: 'local', siteName: 'one' };
  const host = (id: string, siteId: string, original = false): RestoreHost => ({ id, name: id, siteId, siteName: siteId, original, bank });
  const hosts = [host('a', 'one', true), host('b', 'one'), host('c', 'two'), host('d', 'three')];
  assert.deepEqual(hostsFor('new', hosts).map((h) => h.id), ['a', 'b']);
  assert.deepEqual(hostsFor('site', hosts).map((h) => h.id), ['c', 'd']);
  assert.deepEqual(hostsFor('in-place', hosts), []);
  const orphan = hosts.slice(1);
  assert.deepEqual(hostsFor('new', orphan).map((h) => h.id), ['b', 'c', 'd'], 'with the original gone, a new one may go to any host');
  assert.deepEqual(hostsFor('site', orphan), []);
});
