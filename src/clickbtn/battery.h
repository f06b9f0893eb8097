/*
 * The device's battery voltage from Linux sysfs: the first power supply
 * (in name order) whose type is "Battery", that is present and reports
 * voltage_now (microvolts). Machines without a battery report none; no
 * value is ever invented.
 */
#ifndef CK_CLICKBTN_BATTERY_H
#define CK_CLICKBTN_BATTERY_H

/*
 * Scans root (normally "/sys/class/power_supply"). Returns 0 and the
 * voltage in *mv (rounded to the nearest millivolt, 1..99999), or -ENOENT
 * when no battery reports a usable voltage.
 */
int ck_click_battery_mv(const char *root, int *mv);

#endif
