import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';

/** The unary methods of a generated service, by their local (camelCase) name. */
export type UnaryMethodsOf<S extends GenServiceMethods> = {
  [K in keyof S as S[K]['methodKind'] extends 'unary' ? K : never]: S[K];
};

type InputOf<M> = M extends { input: infer I extends DescMessage } ? I : never;
type OutputOf<M> = M extends { output: infer O extends DescMessage } ? O : never;

export type RequestOf<M> = MessageShape<InputOf<M>>;
export type RequestInitOf<M> = MessageInitShape<InputOf<M>>;
export type ResponseOf<M> = MessageShape<OutputOf<M>>;
export type ResponseInitOf<M> = MessageInitShape<OutputOf<M>>;

/** `/package.Service/Method`, the HTTP/2 path gRPC uses. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Binary protobuf codecs built from the generated descriptors (no .proto parsing at run time). */
export function codecs(method: DescMethod) {
  return {
    serializeRequest: (message: MessageInitShape<DescMessage>): Buffer => Buffer.from(toBinary(method.input, create(method.input, message))),
    deserializeRequest: (bytes: Buffer): MessageShape<DescMessage> => fromBinary(method.input, bytes),
    serializeResponse: (message: MessageInitShape<DescMessage>): Buffer => Buffer.from(toBinary(method.output, create(method.output, message))),
    deserializeResponse: (bytes: Buffer): MessageShape<DescMessage> => fromBinary(method.output, bytes),
  };
}

export function unaryMethods<S extends GenServiceMethods>(service: GenService<S>): Array<[string, DescMethod]> {
  return service.methods.filter((method) => method.methodKind === 'unary').map((method) => [method.localName, method]);
}
