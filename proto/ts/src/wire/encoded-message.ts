/**
 * A response already encoded by its handler.
 *
 * A handler normally returns a message (or its init shape) and the transport
 * encodes it with protobuf-es. For a message of thousands of elements (the
 * runner's call graph, the planner's plan) that costs a message object per
 * element and a generic walk of each; a handler may instead return an
 * {@link EncodedMessage}: the bytes, written from its own records
 * (`call-graph-encoder.ts`: exactly what protobuf-es writes for the same
 * message) or encoded by protobuf-es at a moment of its choosing (the
 * planner encodes a plan while the runner validates it).
 *
 * @module
 */
import type { DescMessage } from "@bufbuild/protobuf";

/** A response in the protobuf binary format, of the message `schema` describes; the transport checks it is the method's output type. */
export class EncodedMessage<Desc extends DescMessage = DescMessage> {
  constructor(
    readonly schema: Desc,
    readonly bytes: Uint8Array,
  ) {}
}
