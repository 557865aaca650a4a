export { DAYS_PER_MONTH, HOURS_PER_MONTH } from './month.ts';
export { priceUnits } from './price.ts';
export { centralMonthlyUsd, projectMonthly } from './project.ts';
export { pausedScheduleHours } from './quantities.ts';
