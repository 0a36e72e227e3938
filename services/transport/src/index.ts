/**
 * The gRPC transport of kitaru's services: protobuf-es service descriptors
 * served on grpc-js, with typed handlers, one error mapping, health and
 * server reflection.
 *
 * @example
 * ```ts
 * import { createHealthService, createReflectionServices, defineService, HealthStatus, startGrpcServer } from "./index.ts";
 * const health = new HealthStatus();
 * const services = [defineService(RunnerService, handlers), createHealthService(health)];
 * const host = await startGrpcServer({
 *   host: "0.0.0.0",
 *   port: 50051,
 *   services: [...services, ...createReflectionServices(services.map((s) => s.service))],
 * });
 * ```
 *
 * @module
 */
export { startGrpcServer } from "./grpc-host.ts";
export { defineService } from "./service-handlers.ts";
export type { ServiceHandlers } from "./service-handlers.ts";
export type { HandlerContext } from "./handler-context.ts";
export { HealthStatus, createHealthService } from "./health.ts";
export { createReflectionServices } from "./reflection.ts";
export type { Interceptor } from "./interceptor.ts";
export { serviceLogger } from "./logger.ts";
export type { TransportLogger } from "./logger.ts";
// Library-facing: the trailer name, for raw grpc-js clients reading rich errors.
