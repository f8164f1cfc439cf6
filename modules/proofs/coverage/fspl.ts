// Integer free-space path-loss bounds for the witness RSSI check: FSPL_DB10[band][bucket] in
// tenths of a dB, generated offline by scripts/fspl-table.ts from
// FSPL = 20·log10(d/m) + 20·log10(f/MHz) − 27.55 with d = 30·K − 40 m (K = the bucket's smallest
// res-11 H3 grid distance) and f = the band's lowest frequency, rounded down: a lower bound of the
// loss, so honest witnesses are never refused for it. The state machine only indexes this table
// (no Math.log at runtime: engines may approximate transcendental functions differently).
// coverage.test.ts regenerates it and requires it to match.

/** Lower bounds (kHz) of the frequency bands (rows). */
export const BAND_KHZ = [400_000, 430_000, 470_000, 860_000, 902_000, 915_000, 920_000, 2_400_000, 5_150_000] as const;

/** Lower bounds of the res-11 grid-distance buckets (columns). */
export const DISTANCE_BUCKETS = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 25, 32, 40, 50, 64, 80, 100, 125, 160, 200, 250, 320, 400, 500, 640, 800, 1000, 1250, 1600, 2000, 2500, 3200] as const;

export const FSPL_DB10: readonly (readonly number[])[] = [
  /*  400 MHz */ [244, 505, 584, 625, 653, 674, 691, 705, 727, 745, 760, 773, 794, 815, 837, 857, 877, 899, 919, 939, 958, 980, 999, 1019, 1041, 1060, 1079, 1101, 1120, 1140, 1159, 1181, 1200, 1219, 1241],
  /*  430 MHz */ [251, 511, 590, 631, 659, 680, 697, 711, 734, 752, 767, 779, 800, 821, 843, 864, 884, 906, 925, 945, 965, 986, 1006, 1025, 1047, 1066, 1086, 1107, 1127, 1146, 1165, 1187, 1206, 1226, 1247],
  /*  470 MHz */ [258, 519, 598, 639, 667, 688, 705, 719, 741, 759, 774, 787, 808, 829, 851, 871, 891, 913, 933, 953, 972, 994, 1013, 1033, 1055, 1074, 1093, 1115, 1134, 1154, 1173, 1195, 1214, 1233, 1255],
  /*  860 MHz */ [311, 571, 651, 692, 719, 740, 757, 771, 794, 812, 827, 840, 861, 881, 904, 924, 944, 966, 985, 1005, 1025, 1046, 1066, 1085, 1107, 1126, 1146, 1167, 1187, 1206, 1226, 1247, 1266, 1286, 1307],
  /*  902 MHz */ [315, 575, 655, 696, 723, 744, 761, 775, 798, 816, 831, 844, 865, 885, 908, 928, 948, 970, 990, 1009, 1029, 1051, 1070, 1090, 1111, 1131, 1150, 1172, 1191, 1210, 1230, 1251, 1271, 1290, 1311],
  /*  915 MHz */ [316, 576, 656, 697, 725, 746, 762, 776, 799, 817, 832, 845, 866, 887, 909, 929, 949, 971, 991, 1011, 1030, 1052, 1071, 1091, 1112, 1132, 1151, 1173, 1192, 1212, 1231, 1252, 1272, 1291, 1313],
  /*  920 MHz */ [317, 577, 657, 697, 725, 746, 763, 777, 800, 818, 833, 845, 866, 887, 910, 930, 950, 972, 991, 1011, 1031, 1052, 1072, 1091, 1113, 1132, 1152, 1173, 1193, 1212, 1231, 1253, 1272, 1292, 1313],
  /* 2400 MHz */ [400, 660, 740, 781, 808, 829, 846, 860, 883, 901, 916, 929, 950, 970, 993, 1013, 1033, 1055, 1075, 1094, 1114, 1136, 1155, 1175, 1196, 1216, 1235, 1257, 1276, 1295, 1315, 1336, 1356, 1375, 1396],
  /* 5150 MHz */ [466, 727, 806, 847, 875, 896, 912, 927, 949, 967, 982, 995, 1016, 1037, 1059, 1079, 1099, 1121, 1141, 1161, 1180, 1202, 1221, 1241, 1262, 1282, 1301, 1323, 1342, 1362, 1381, 1403, 1422, 1441, 1463],
];

/** Largest index i with bounds[i] <= v, or -1. */
function floorIndex(bounds: readonly number[], v: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid]! <= v) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The path-loss lower bound (dB x 10) for a res-11 grid distance and a frequency, or undefined
 * when the frequency is below the table (regions are validated to lie within it). */
export function fsplLowerBoundDb10(gridDistance: number, frequencyKhz: number): number | undefined {
  const band = floorIndex(BAND_KHZ, frequencyKhz);
  const bucket = floorIndex(DISTANCE_BUCKETS, gridDistance);
  if (band < 0 || bucket < 0) return undefined;
  return FSPL_DB10[band]![bucket]!;
}
