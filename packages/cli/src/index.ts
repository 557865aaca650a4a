export { type DoctorCheck, type DoctorReport, runDoctor } from './doctor/run.ts';
export { EXIT } from './errors.ts';
export { buildProgram } from './program.ts';
