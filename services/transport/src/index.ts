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
export { startGrpcServer, createGrpcServer, MAX_MESSAGE_BYTES } from "./grpc-host.ts";
export type { GrpcServerOptions, StartGrpcServerOptions, RunningGrpcServer } from "./grpc-host.ts";
export { defineService } from "./service-handlers.ts";
export type {
  ServiceHandlers,
  MethodHandler,
  UnaryHandler,
  ServerStreamingHandler,
  BidiStreamingHandler,
  ServiceRegistration,
} from "./service-handlers.ts";
export type { HandlerContext } from "./handler-context.ts";
export { HealthStatus, createHealthService } from "./health.ts";
export type { ServingStatus } from "./health.ts";
export { createReflectionServices } from "./reflection.ts";
export { applyInterceptors } from "./interceptor.ts";
export type { Interceptor, Next, CallInput } from "./interceptor.ts";
export { consoleLogger, serviceLogger } from "./logger.ts";
export type { TransportLogger } from "./logger.ts";
// Library-facing: the trailer name, for raw grpc-js clients reading rich errors.
export { STATUS_DETAILS_KEY } from "./call-handlers.ts";
