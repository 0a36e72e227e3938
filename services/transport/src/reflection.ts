/**
 * gRPC server reflection, v1 and v1alpha, answered from protobuf-es
 * descriptors: `grpcurl`, `buf curl` and Postman can list, describe and call
 * every registered service.
 *
 * Unlike `@grpc/reflection` 1.0.4 (grpc/grpc-node#3034), every file response
 * carries the file and all its transitive imports.
 *
 * @example
 * ```ts
 * const services = [defineService(RunnerService, handlers), createHealthService(health)];
 * await startGrpcServer({ services: [...services, ...createReflectionServices(services.map((s) => s.service))] });
 * ```
 *
 * @module
 */
import { create, fromBinary, toBinary, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import * as v1 from "#gen/grpc/reflection/v1/reflection_pb.ts";
import * as v1alpha from "#gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { Code } from "#gen/google/rpc/code_pb.ts";
import { file_google_rpc_error_details } from "#gen/google/rpc/error_details_pb.ts";
import { file_google_rpc_status } from "#gen/google/rpc/status_pb.ts";
import { file_kitaru_errors_v1_errors } from "#gen/kitaru/errors/v1/errors_pb.ts";
import { file_kitaru_runner_v1_execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { DescriptorIndex } from "./descriptor-index.ts";
import { defineService, type ServiceRegistration } from "./service-handlers.ts";

/**
 * Files of the types sent in `google.rpc.Status.details`: described too, so
 * that grpcurl and similar tools can decode error details, not just show bytes.
 */
const ERROR_DETAIL_FILES = [file_google_rpc_status, file_google_rpc_error_details, file_kitaru_errors_v1_errors, file_kitaru_runner_v1_execution];

/**
 * Creates the reflection services (v1 and v1alpha) describing `services`
 * (their files and every file they import), themselves, and the error detail types.
 */
export function createReflectionServices(services: Iterable<DescService>): ServiceRegistration[] {
  const index = new DescriptorIndex([...services, v1.ServerReflection, v1alpha.ServerReflection], ERROR_DETAIL_FILES);
  return [
    defineService(v1.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) yield answer(index, request);
      },
    }),
    // v1alpha is wire-identical to v1: re-encode instead of duplicating the logic.
    defineService(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) {
          const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request));
          const response = answer(index, asV1);
          yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, response));
        }
      },
    }),
  ];
}

/** Answers one reflection request; lookups that fail answer an ErrorResponse, the stream goes on. */
function answer(index: DescriptorIndex, request: v1.ServerReflectionRequest): v1.ServerReflectionResponse {
  const reply = (messageResponse: MessageInitShape<typeof v1.ServerReflectionResponseSchema>["messageResponse"]) =>
    create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
  const files = (file: ReturnType<DescriptorIndex["fileByName"]>, what: string) =>
    file
      ? reply({ case: "fileDescriptorResponse", value: { fileDescriptorProto: index.fileWithDependencies(file) } })
      : reply(error(Code.NOT_FOUND, `${what} not found`));

  const r = request.messageRequest;
  switch (r.case) {
    case "listServices":
      return reply({ case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } });
    case "fileByFilename":
      return files(index.fileByName(r.value), `file "${r.value}"`);
    case "fileContainingSymbol":
      return files(index.fileBySymbol(r.value), `symbol "${r.value}"`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = r.value;
      return files(index.fileByExtension(containingType, extensionNumber), `extension ${extensionNumber} of "${containingType}"`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(r.value);
      if (!numbers) return reply(error(Code.NOT_FOUND, `type "${r.value}" not found`));
      return reply({ case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers } });
    }
    case undefined:
      return reply(error(Code.INVALID_ARGUMENT, "empty reflection request"));
  }
}

function error(code: Code, message: string) {
  return { case: "errorResponse" as const, value: { errorCode: code, errorMessage: message } };
}
