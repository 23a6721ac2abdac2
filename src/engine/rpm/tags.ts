/** rpm header tag numbers and data types, with names for error messages. */

/** rpm header tag numbers the engine reads. */
export const TAG = {
  headerImage: 61,
  headerSignatures: 62,
  headerImmutable: 63,
  sigmd5: 261,
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  size: 1009,
  vendor: 1011,
  license: 1014,
  arch: 1022,
  oldFilenames: 1027,
  fileSizes: 1028,
  fileStates: 1029,
  fileModes: 1030,
  fileDigests: 1035,
  fileLinktos: 1036,
  fileFlags: 1037,
  fileUsername: 1039,
  fileGroupname: 1040,
  sourceRpm: 1044,
  fileVerifyFlags: 1045,
  dirIndexes: 1116,
  basenames: 1117,
  dirnames: 1118,
  longFileSizes: 5008,
  longSize: 5009,
  fileDigestAlgo: 5011,
  modularityLabel: 5096,
} as const;

/** rpm header data types (rpmTagType). */
export const TYPE = {
  null: 0,
  char: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  string: 6,
  bin: 7,
  stringArray: 8,
  i18nString: 9,
} as const;

/** Byte width of one element of the fixed-size types; strings are variable. */
export const TYPE_WIDTH: Readonly<Record<number, number>> = {
  [TYPE.null]: 0,
  [TYPE.char]: 1,
  [TYPE.int8]: 1,
  [TYPE.int16]: 2,
  [TYPE.int32]: 4,
  [TYPE.int64]: 8,
  [TYPE.bin]: 1,
};

const TAG_NAMES = new Map<number, string>([
  [61, 'HEADERIMAGE'],
  [62, 'HEADERSIGNATURES'],
  [63, 'HEADERIMMUTABLE'],
  [261, 'SIGMD5'],
  [1000, 'NAME'],
  [1001, 'VERSION'],
  [1002, 'RELEASE'],
  [1003, 'EPOCH'],
  [1009, 'SIZE'],
  [1011, 'VENDOR'],
  [1014, 'LICENSE'],
  [1022, 'ARCH'],
  [1027, 'OLDFILENAMES'],
  [1028, 'FILESIZES'],
  [1029, 'FILESTATES'],
  [1030, 'FILEMODES'],
  [1035, 'FILEDIGESTS'],
  [1036, 'FILELINKTOS'],
  [1037, 'FILEFLAGS'],
  [1039, 'FILEUSERNAME'],
  [1040, 'FILEGROUPNAME'],
  [1044, 'SOURCERPM'],
  [1045, 'FILEVERIFYFLAGS'],
  [1116, 'DIRINDEXES'],
  [1117, 'BASENAMES'],
  [1118, 'DIRNAMES'],
  [5008, 'LONGFILESIZES'],
  [5009, 'LONGSIZE'],
  [5011, 'FILEDIGESTALGO'],
  [5096, 'MODULARITYLABEL'],
]);

const TYPE_NAMES = [
  'NULL',
  'CHAR',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'STRING',
  'BIN',
  'STRING_ARRAY',
  'I18NSTRING',
];

/** `NAME (1000)` for known tags, `tag 1234` otherwise. */
export function tagName(tag: number): string {
  const name = TAG_NAMES.get(tag);
  return name === undefined ? `tag ${tag}` : `${name} (${tag})`;
}

/** `INT32` for known types, `type 42` otherwise. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}
