// COMPILE-ONLY STUB of androidx.camera:camera-core's ImageInfo (see ../../../../README.md).
package androidx.camera.core;

public interface ImageInfo {
    long getTimestamp();

    int getRotationDegrees();
}
