/**
 * An index of protobuf-es file descriptors by file name, symbol and
 * extension: what server reflection looks things up in.
 *
 * @module
 */
import { toBinary, type DescEnum, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * The files of a set of services and everything they import, indexed for
 * lookup. Built once; immutable.
 */
export class DescriptorIndex {
  /** Full names of the indexed services, sorted. */
  readonly serviceNames: readonly string[];
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();
  readonly #extensions = new Map<string, Map<number, DescFile>>();
  readonly #bytes = new Map<DescFile, Uint8Array>();

  /** Indexes the files of `services` and, unlisted, the `files` given (e.g. error detail types). */
  constructor(services: Iterable<DescService>, files: Iterable<DescFile> = []) {
    const names = new Set<string>();
    for (const service of services) {
      names.add(service.typeName);
      this.#addFile(service.file);
    }
    for (const file of files) this.#addFile(file);
    this.serviceNames = [...names].sort();
  }

  /** The file named `name` (e.g. "kitaru/runner/v1/execution.proto"), or undefined. */
  fileByName(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  /**
   * The file defining `symbol`: a service, method, message, field, enum, enum
   * value or extension, by fully-qualified name without a leading dot.
   */
  fileBySymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(symbol.replace(/^\./, ""));
  }

  /** The file defining extension `number` of message `extendee`, or undefined. */
  fileByExtension(extendee: string, number: number): DescFile | undefined {
    return this.#extensions.get(extendee)?.get(number);
  }

  /** The known extension numbers of message `extendee` (sorted); undefined for an unknown message. */
  extensionNumbers(extendee: string): number[] | undefined {
    if (!this.#symbols.has(extendee)) return undefined;
    return [...(this.#extensions.get(extendee)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * The serialized FileDescriptorProto of `file` followed by those of all its
   * transitive imports, each once: a client can build every type from them.
   */
  fileWithDependencies(file: DescFile): Uint8Array[] {
    const seen = new Set<DescFile>();
    const visit = (f: DescFile) => {
      if (seen.has(f)) return;
      seen.add(f);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return [...seen].map((f) => this.#serialized(f));
  }

  #serialized(file: DescFile): Uint8Array {
    const cached = this.#bytes.get(file);
    if (cached) return cached;
    const bytes = toBinary(FileDescriptorProtoSchema, file.proto);
    this.#bytes.set(file, bytes);
    return bytes;
  }

  #addFile(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    for (const dep of file.dependencies) this.#addFile(dep);
    for (const service of file.services) {
      this.#symbols.set(service.typeName, file);
      for (const method of service.methods) this.#symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const m of file.messages) this.#addMessage(file, m);
    for (const e of file.enums) this.#addEnum(file, e);
    for (const x of file.extensions) this.#addExtension(file, x);
  }

  #addMessage(file: DescFile, message: DescMessage): void {
    this.#symbols.set(message.typeName, file);
    for (const field of message.fields) this.#symbols.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) this.#symbols.set(`${message.typeName}.${oneof.name}`, file);
    for (const m of message.nestedMessages) this.#addMessage(file, m);
    for (const e of message.nestedEnums) this.#addEnum(file, e);
    for (const x of message.nestedExtensions) this.#addExtension(file, x);
  }

  #addEnum(file: DescFile, enumDesc: DescEnum): void {
    this.#symbols.set(enumDesc.typeName, file);
    // Enum values are scoped like siblings of their enum (C++ scoping rules).
    const scope = enumDesc.typeName.slice(0, enumDesc.typeName.lastIndexOf(".") + 1);
    for (const value of enumDesc.values) this.#symbols.set(`${scope}${value.name}`, file);
  }

  #addExtension(file: DescFile, extension: DescExtension): void {
    this.#symbols.set(extension.typeName, file);
    const byNumber = this.#extensions.get(extension.extendee.typeName) ?? new Map<number, DescFile>();
    byNumber.set(extension.number, file);
    this.#extensions.set(extension.extendee.typeName, byNumber);
  }
}
