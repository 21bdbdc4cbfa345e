import { imageSet } from './bench/dataset.ts';
import { volumeSubject } from './bench/volume-subject.ts';
const set = await imageSet('/var/tmp/cairn-bench-cache', 4294967296, 1500000000, 'cairn-bench-1');
const subject = volumeSubject(set, 'cairn-bench-1');
if (process.argv[2] === 'place') await subject.place('/var/tmp/vb/disk.qcow2');
else await subject.change('/var/tmp/vb/disk.qcow2');
