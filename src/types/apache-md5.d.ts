// apache-md5 ships no types: it exports one function, `(password, saltOrHash) => '$apr1$<salt>$<hash>'`.
declare module 'apache-md5' {
  export default function apacheMd5(password: string, salt?: string): string;
}
