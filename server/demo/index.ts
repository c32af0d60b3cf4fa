/**
 * The simulated demo cluster: a fault-injecting event source and the controllers that run
 * against it, built on the controller runtime's public surface (server/runtime) only.
 */
export { type ChurnRates, DEFAULT_CHURN, DemoCluster, type DemoClusterOptions } from "./demo-cluster";
export { createDemoRuntime, type DemoRuntimeOptions } from "./demo-runtime";
export { churnForEventRate } from "./event-rate";
export { DEMO_FAULTS, type DemoFault, FaultPlan, parseSchedule } from "./fault-schedule";
export { DEMO_PROFILES, type DemoControllerProfile, demoReconciler } from "./reconcilers";
