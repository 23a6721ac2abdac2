/** The Container Health Index in the server: grades, their history, recomputation, drop e-mails. */
export { applyGrade, gradeHistory, isDrop, GRADE_ORDER, type StoredHealth } from './grades.js';
export {
  recomputeGrades,
  storedHealth,
  type RecomputeDeps,
  type RecomputeReport,
} from './recompute.js';
export { indexStamp, lastRecompute, scheduleRecompute } from './schedule.js';
export { recomputeJob } from './job.js';
export { healthModule } from './module.js';
