import { SegmentWalker, type SegmentWalkResult } from '../store/segment-walk.js';
import type { SegmentScanTask } from './messages.js';
import { nameThisThread } from './thread-name.js';

/** piscina worker for SegmentScanPool: validates one segment through a buffer kept between tasks. */
nameThisThread('rmq-scan');
let walker: SegmentWalker | null = null;
let walkerMax = 0;

export default function scanSegment(task: SegmentScanTask): SegmentWalkResult {
  if (!walker || walkerMax !== task.maxRecordSize) {
    walker = new SegmentWalker(task.maxRecordSize);
    walkerMax = task.maxRecordSize;
  }
  return walker.walkSegment(task.file, task.start, task.checkCRC);
}
